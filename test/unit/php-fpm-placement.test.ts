/** php-fpm placement: when nurseries merge, into which shard, and how many. */
import { describe, expect, it } from 'vitest';
import { planConsolidation } from '../../src/adapters/runtime/local/php-fpm-placement.js';

const nursery = (id: number) => ({ id, nursery: true, pools: 1 });
const shard = (id: number, pools: number) => ({ id, nursery: false, pools });

describe('php-fpm placement', () => {
  it('waits for nurseryLimit nurseries unless forced', () => {
    const shards = [shard(0, 3), nursery(4), nursery(5)];
    expect(planConsolidation(shards, { shardSize: 32, nurseryLimit: 3, force: false })).toBeNull();
    expect(planConsolidation(shards, { shardSize: 32, nurseryLimit: 3, force: true })).toEqual({ target: 0, moving: [4, 5] });
    expect(planConsolidation([shard(0, 3)], { shardSize: 32, nurseryLimit: 3, force: true })).toBeNull();
  });

  it('merges the oldest nurseries into the newest shard with room, as many as fit', () => {
    const shards = [shard(0, 32), shard(1, 30), nursery(7), nursery(3), nursery(9)];
    expect(planConsolidation(shards, { shardSize: 32, nurseryLimit: 3, force: false })).toEqual({ target: 1, moving: [3, 7] });
  });

  it('opens a new shard when every shard is full', () => {
    const shards = [shard(0, 4), nursery(1), nursery(2)];
    expect(planConsolidation(shards, { shardSize: 4, nurseryLimit: 2, force: false })).toEqual({ target: null, moving: [1, 2] });
  });
});
