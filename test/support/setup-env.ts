// Tests assert on responses, rows and messages; service logs would only bury
// a failure. LOG_LEVEL=info pnpm test shows them.
process.env.LOG_LEVEL ??= 'warn';
process.env.NODE_ENV ??= 'test';
