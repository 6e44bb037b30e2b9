/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a cell starting with = + - @ or a control character
 * is executed by Excel. Reports quote such values with a leading apostrophe so they show as text.
 */
export function neutralise(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
