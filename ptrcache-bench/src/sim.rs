//! Reference policies for the hit-ratio workload: exact LRU and Belady's optimum.

use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};

type Map<V> = HashMap<u64, V, foldhash::fast::RandomState>;

const NIL: u32 = u32::MAX;

/// Hits of an exact LRU of `capacity` entries replaying `trace`: a miss always inserts, the
/// least recently used entry goes once the cache is over capacity, a hit moves to the front.
pub fn lru_hits(trace: &[u64], capacity: usize) -> u64 {
    if capacity == 0 {
        return 0;
    }
    struct Node {
        key: u64,
        prev: u32,
        next: u32,
    }
    let mut slot_of: Map<u32> = Map::default();
    let mut nodes: Vec<Node> = Vec::with_capacity(capacity);
    let (mut head, mut tail) = (NIL, NIL); // head: most recent
    let mut hits = 0;
    let unlink = |nodes: &mut Vec<Node>, head: &mut u32, tail: &mut u32, slot: u32| {
        let (prev, next) = (nodes[slot as usize].prev, nodes[slot as usize].next);
        if prev == NIL {
            *head = next
        } else {
            nodes[prev as usize].next = next
        }
        if next == NIL { *tail = prev } else { nodes[next as usize].prev = prev }
    };
    let push_front = |nodes: &mut Vec<Node>, head: &mut u32, tail: &mut u32, slot: u32| {
        nodes[slot as usize].prev = NIL;
        nodes[slot as usize].next = *head;
        if *head == NIL {
            *tail = slot
        } else {
            nodes[*head as usize].prev = slot
        }
        *head = slot;
    };
    for &key in trace {
        if let Some(&slot) = slot_of.get(&key) {
            hits += 1;
            if slot != head {
                unlink(&mut nodes, &mut head, &mut tail, slot);
                push_front(&mut nodes, &mut head, &mut tail, slot);
            }
            continue;
        }
        let slot = if nodes.len() < capacity {
            nodes.push(Node { key, prev: NIL, next: NIL });
            (nodes.len() - 1) as u32
        } else {
            let victim = tail;
            unlink(&mut nodes, &mut head, &mut tail, victim);
            slot_of.remove(&nodes[victim as usize].key);
            nodes[victim as usize].key = key;
            victim
        };
        slot_of.insert(key, slot);
        push_front(&mut nodes, &mut head, &mut tail, slot);
    }
    hits
}

/// For each request, the index of the next request of the same key (`u32::MAX`: none).
pub fn next_uses(trace: &[u64]) -> Vec<u32> {
    assert!(trace.len() < u32::MAX as usize, "trace too long for u32 positions");
    let mut next = vec![NIL; trace.len()];
    let mut last: Map<u32> = Map::default();
    for (i, &key) in trace.iter().enumerate().rev() {
        if let Some(later) = last.insert(key, i as u32) {
            next[i] = later;
        }
    }
    next
}

/// Hits of Belady's optimal offline policy with `capacity` entries, allowed not to admit
/// (the new key competes with the cached ones; the one used farthest in the future goes).
/// This bounds every policy, those that refuse admission (TinyLFU) included.
pub fn opt_hits(trace: &[u64], next: &[u32], capacity: usize) -> u64 {
    let mut cached: Map<u32> = Map::default(); // key -> its next use
    let mut heap: BinaryHeap<(u32, u64)> = BinaryHeap::new(); // lazily deleted
    let mut hits = 0;
    for (&key, &upcoming) in trace.iter().zip(next) {
        if let Entry::Occupied(mut entry) = cached.entry(key) {
            hits += 1;
            if upcoming == NIL {
                entry.remove();
            } else {
                entry.insert(upcoming);
                heap.push((upcoming, key));
            }
            continue;
        }
        if upcoming == NIL || capacity == 0 {
            continue;
        }
        if cached.len() >= capacity {
            while let Some(&(when, victim)) = heap.peek() {
                if cached.get(&victim) == Some(&when) {
                    break;
                }
                heap.pop();
            }
            let &(when, victim) = heap.peek().expect("a full cache has a live heap entry");
            if when < upcoming {
                continue; // every cached key is needed sooner than this one: do not admit
            }
            heap.pop();
            cached.remove(&victim);
        }
        cached.insert(key, upcoming);
        heap.push((upcoming, key));
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_on_a_loop_larger_than_the_cache_hits_nothing() {
        let trace: Vec<u64> = (0..100).map(|i| i % 4).collect();
        assert_eq!(lru_hits(&trace, 3), 0);
        assert_eq!(lru_hits(&trace, 4), 96);
    }

    #[test]
    fn lru_keeps_the_recent_key() {
        // 1 2 1 3 1: with 2 entries, 1 stays (hit twice), 2 goes when 3 comes.
        assert_eq!(lru_hits(&[1, 2, 1, 3, 1, 2], 2), 2);
    }

    #[test]
    fn opt_bounds_lru_and_is_exact_on_a_small_case() {
        let trace: Vec<u64> = (0..100).map(|i| i % 4).collect();
        let next = next_uses(&trace);
        // A loop of 4 in 3 slots: OPT misses about once every 3 requests after warm-up.
        let opt = opt_hits(&trace, &next, 3);
        assert!(opt >= lru_hits(&trace, 3));
        assert_eq!(opt_hits(&trace, &next, 4), 96);
        // Classic example: 1 2 3 4 1 2 5 1 2 3 4 5 with 3 frames (Belady without bypass: 5
        // hits; bypass cannot do worse).
        let trace = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];
        assert!(opt_hits(&trace, &next_uses(&trace), 3) >= 5);
    }
}
