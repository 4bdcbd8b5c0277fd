/**
 * Where the tests find the real data sets: `../shared/data` beside the repository (see its
 * README), wherever the checkout lives.
 * @module
 */
export const SHARED_DATA: string = decodeURIComponent(
  new URL("../../shared/data", import.meta.url).pathname,
);
