// Array.fromAsync is Node 22+; this is the same for Node 20.
export async function collect(iterable) {
  const out = [];
  for await (const x of iterable) out.push(x);
  return out;
}
