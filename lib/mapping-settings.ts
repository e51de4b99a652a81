import { Annotations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DestinationConfig } from '../core/config.js';
import { type MappingSettings, mappingSettingsFor } from '../core/throughput-settings.js';

const derived = new WeakMap<Construct, MappingSettings>();

/**
 * The decide and export mappings' settings for a construct's config, derived from its expected peak
 * (core/throughput-settings.ts). The first call shows the peak's warnings at synth — a created
 * stream with too few shards, a factor or concurrency the peak needs beyond AWS's maximum.
 */
export function mappingSettingsOf(
  scope: Construct & { readonly config: DestinationConfig },
): MappingSettings {
  const known = derived.get(scope);
  if (known !== undefined) return known;
  const settings = mappingSettingsFor(scope.config);
  for (const warning of settings.warnings) Annotations.of(scope).addWarning(warning);
  derived.set(scope, settings);
  return settings;
}
