/**
 * A registry entry whose module is loaded the first time an agreement names it. The registries
 * (transports, security schemes) list every implementation, but a node uses the few its
 * agreements name: AS4 and XML-DSig bring XML and signature libraries that a node speaking
 * HTTP/2 with JWS or CMS never needs, and that stay resident once loaded.
 */
export function loadOnFirstUse<Factory extends (init: Record<string, unknown>) => unknown>(
  load: () => Factory,
): Factory {
  let factory: Factory | undefined;
  return ((init: Record<string, unknown>) => (factory ??= load())(init)) as Factory;
}
