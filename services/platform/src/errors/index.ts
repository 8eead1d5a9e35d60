export { defineError, defineErrors, PROBLEM_TYPE_BASE, type ErrorSpec, type ErrorType } from './registry.ts';
export { AppError, isAppError, isRetryable, type AppErrorOptions } from './app-error.ts';
export { PlatformErrors } from './platform-errors.ts';
