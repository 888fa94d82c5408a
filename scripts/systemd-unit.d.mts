export declare const UNIT_MALLOC_ENV: Readonly<Record<string, string>>;
export declare const UNIT_NODE_ARGS: readonly string[];
