import type { VhostConfig } from '../config/config-model';
import type { RequestFacts } from '../types';
import { stripQuery } from './strip-query';

const namesCache = new WeakMap<VhostConfig, { names: Set<string>; byName: Map<string, 'bandwidth' | 'ratio' | 'boost'> }>();

function namesOf(vhost: VhostConfig): { names: Set<string>; byName: Map<string, 'bandwidth' | 'ratio' | 'boost'> } {
  let hit = namesCache.get(vhost);
  if (!hit) {
    const byName = new Map<string, 'bandwidth' | 'ratio' | 'boost'>();
    // Params are BT params only while the vhost reads them (`QueryString="ON"`); otherwise
    // they are ordinary application params and stay.
    if (vhost.queryString && vhost.throttling) {
      for (const f of ['bandwidth', 'ratio', 'boost'] as const) {
        const name = vhost.settings.params[f];
        if (name !== undefined) byName.set(name, f);
      }
    }
    hit = { names: new Set(byName.keys()), byName };
    namesCache.set(vhost, hit);
  }
  return hit;
}

/** Most requests carry no query string: they share this answer (frozen: nothing may add to it). */
const NO_PARAMS: { querystring: string; query: RequestFacts['query'] } = Object.freeze({ querystring: '', query: Object.freeze({}) });

/**
 * Take a vhost's BT params out of a raw query string (docs/config.md): the raw values by
 * field for the resolver (an array when a param was repeated), and the query string
 * downstream should see, other params in order.
 */
export function takeBtParams(vhost: VhostConfig, querystring: string): { querystring: string; query: RequestFacts['query'] } {
  if (querystring === '') return NO_PARAMS;
  const { names, byName } = namesOf(vhost);
  const query: RequestFacts['query'] = {};
  if (names.size === 0) return { querystring, query };
  const stripped = stripQuery(querystring, names);
  for (const [name, values] of stripped.values) {
    const field = byName.get(name);
    if (field) query[field] = values.length === 1 ? values[0] : values;
  }
  return { querystring: stripped.querystring, query };
}
