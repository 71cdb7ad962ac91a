/** Files the "Profile with privlab" action accepts (the server checks again). */
export const PROFILE_SUFFIXES = ['.csv', '.parquet'];

export function isProfileable(path: string): boolean {
  const lower = path.toLowerCase();
  return PROFILE_SUFFIXES.some(suffix => lower.endsWith(suffix));
}
