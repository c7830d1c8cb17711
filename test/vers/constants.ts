/** The superuser password every fake VM cluster starts with (test/fixtures/fake-vers/cluster.mjs). */
export const INITIAL_PASSWORD_FOR_TESTS = 'fake-vers-initial';
