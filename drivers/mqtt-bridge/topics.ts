/**
 * Topic patterns: MQTT topic levels where `+` and a trailing `#` are the usual wildcards (MQTT 3.1.1
 * §4.7) and `{name}` is a `+` whose value is captured, e.g. `air-quality/{site}/{metric}`.
 */
export interface TopicPattern {
  /** The subscription filter: captures become `+`. */
  filter: string;
  captures: string[];
  match(topic: string): Record<string, string> | null;
}

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** A compiled pattern, or a reason it is not one. */
export function compilePattern(pattern: string): TopicPattern | string {
  if (!pattern) return 'a topic pattern is empty';
  const levels = pattern.split('/');
  const captures: string[] = [];
  for (const [i, level] of levels.entries()) {
    const capture = CAPTURE.exec(level);
    if (capture) {
      if (captures.includes(capture[1]!)) return `{${capture[1]}} appears twice`;
      captures.push(capture[1]!);
    } else if (level === '#') {
      if (i !== levels.length - 1) return '# must be the last level';
    } else if (level !== '+' && /[+#{}]/.test(level)) {
      return `level "${level}" mixes text with a wildcard`;
    }
  }
  const filter = levels.map((level) => (CAPTURE.test(level) ? '+' : level)).join('/');
  return {
    filter,
    captures,
    match(topic: string) {
      const parts = topic.split('/');
      const vars: Record<string, string> = {};
      for (let i = 0; i < levels.length; i++) {
        const level = levels[i]!;
        if (level === '#') return i === 0 && topic.startsWith('$') ? null : vars;
        const part = parts[i];
        if (part === undefined) return null;
        if (i === 0 && part.startsWith('$') && level !== part) return null;
        const capture = CAPTURE.exec(level);
        if (capture) vars[capture[1]!] = part;
        else if (level !== '+' && level !== part) return null;
      }
      return parts.length === levels.length ? vars : null;
    },
  };
}

/** `{name}` placeholders filled from captured levels. */
export function fillTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => vars[name] ?? '');
}

export function templateNames(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
}
