// One form for comparing user names, wherever they are compared: the users file, login
// throttling and lockouts, policies. "ALICE", "Alice" and "alice" (and the composed and
// decomposed spellings of an accented name) are one user; a lockout of one is a lockout of all.
// Lower-casing can decompose a character (U+0130 becomes "i" and a combining dot), hence NFC
// before and after.
export function canonicalUserName(name: string): string {
  return name.normalize('NFC').toLowerCase().normalize('NFC');
}
