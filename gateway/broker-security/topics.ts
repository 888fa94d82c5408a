/** MQTT topic filter matching (3.1.1 §4.7) and ACL pattern substitution. */

/** Does `filter` match the concrete `topic`? Wildcards at the first level never match `$` topics. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Does the allowed filter cover every topic the requested subscription filter could match? */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  if (requested.startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (a[i] !== r[i]) return false;
  }
  return a.length === r.length;
}

/** `%u` → username, `%c` → client id; null when a value would smuggle a level or wildcard into the filter. */
export function substitute(pattern: string, values: { username: string | null; clientId: string }): string | null {
  let unsafe = false;
  const out = pattern.replace(/%([uc])/g, (_, key: string) => {
    const value = key === 'u' ? values.username : values.clientId;
    if (!value || /[/+#\0]/.test(value)) {
      unsafe = true;
      return '';
    }
    return value;
  });
  return unsafe ? null : out;
}
