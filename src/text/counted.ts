/** "1 account", "2,500 accounts": a count and its noun, for every message that says how many. */
export function counted(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}
