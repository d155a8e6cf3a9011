// The guards' list prices live in the design's catalog (lib/design/catalog/guard-prices.ts): the
// estimate prices the same calls the router charges.
export * from '../../design/catalog/guard-prices';
