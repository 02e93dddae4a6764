/**
 * Waiting in tests for what arrives asynchronously: state seen through an API, desks whose
 * events come later, what a person would see appear on a page.
 */

/**
 * Retry `check` until it stops throwing (or rejecting) and resolve with its value; at the
 * deadline its last failure is thrown, so the test reports what was still wrong.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, pollMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
