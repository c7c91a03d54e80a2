// Whether this process runs the addon under AddressSanitizer (scripts/check-native.sh preloads
// its runtime). ASan keeps freed memory in a quarantine (256 MB by default) and adds redzones,
// so RSS bounds say nothing there: tests skip those assertions, and only those.
export const underAsan = /libclang_rt\.asan|libasan/.test(process.env.LD_PRELOAD ?? '');

/** Asserts an RSS bound unless under ASan (then records why it was not checked). */
export function assertRssBound(t, ok, message) {
  if (underAsan) {
    t.diagnostic(`not checked under ASan (its quarantine holds freed memory): ${message}`);
    return;
  }
  if (!ok) throw Object.assign(new Error(message), { code: 'ERR_ASSERTION' });
}
