/**
 * Where php-fpm pools go (php-fpm.ts does the starting and switching): a new tenant starts in a
 * "nursery" master of its own; once `nurseryLimit` nurseries exist (or an operator forces it) they
 * are merged, oldest first, into the open shard (the newest non-nursery shard with room), or into a
 * new shard, as many as fit in `shardSize`. Pure: the shard map is given, a plan comes back.
 */
export interface ShardShape {
  id: number;
  nursery: boolean;
  /** Pools the shard's master holds. */
  pools: number;
}

export interface ConsolidationPlan {
  /** The shard the nurseries merge into; null: a new shard. */
  target: number | null;
  /** The nurseries that move, oldest first. */
  moving: number[];
}

export function planConsolidation(shards: readonly ShardShape[], o: { shardSize: number; nurseryLimit: number; force: boolean }): ConsolidationPlan | null {
  const nurseries = shards.filter((s) => s.nursery).sort((a, b) => a.id - b.id);
  if (nurseries.length < (o.force ? 1 : Math.max(1, o.nurseryLimit))) return null;
  const open = shards.filter((s) => !s.nursery && s.pools < o.shardSize).sort((a, b) => b.id - a.id)[0];
  const room = o.shardSize - (open?.pools ?? 0);
  const moving = nurseries.slice(0, room).map((s) => s.id);
  if (moving.length === 0) return null;
  return { target: open?.id ?? null, moving };
}
