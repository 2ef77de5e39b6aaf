//! A capped list of the most recent records, by timestamp.

use crate::time::Micros;

/// Anything with a timestamp.
pub trait Timed {
    fn ts(&self) -> Micros;
}

/// Keeps the `cap` records with the latest timestamps, oldest first; among equal
/// timestamps the later-added record is the more recent. Merging two lists keeps
/// what one list fed with both inputs in order would have kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Recent<T> {
    cap: usize,
    items: std::collections::VecDeque<T>,
}

impl<T: Timed> Recent<T> {
    pub fn new(cap: usize) -> Self {
        Self { cap, items: std::collections::VecDeque::new() }
    }

    pub fn push(&mut self, item: T) {
        let ts = item.ts();
        if self.items.len() == self.cap && self.items.front().is_none_or(|first| ts < first.ts()) {
            return;
        }
        let at = self.items.partition_point(|x| x.ts() <= ts);
        self.items.insert(at, item);
        if self.items.len() > self.cap {
            self.items.pop_front();
        }
    }

    /// Adds every record of `later`, as if they had been pushed after ours.
    pub fn merge(&mut self, later: Recent<T>) {
        for item in later.items {
            self.push(item);
        }
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Timed for (i64, u32) {
        fn ts(&self) -> Micros {
            self.0
        }
    }

    #[test]
    fn keeps_the_latest_and_merges_like_one_feed() {
        let input: Vec<(i64, u32)> = [5, 1, 9, 9, 3, 7, 2, 8, 9, 0, 6].iter().zip(0..).map(|(&t, i)| (t, i)).collect();
        let mut whole = Recent::new(4);
        input.iter().for_each(|&x| whole.push(x));
        assert_eq!(whole.iter().copied().collect::<Vec<_>>(), [(8, 7), (9, 2), (9, 3), (9, 8)]);
        for split in 0..input.len() {
            let (mut a, mut b) = (Recent::new(4), Recent::new(4));
            input[..split].iter().for_each(|&x| a.push(x));
            input[split..].iter().for_each(|&x| b.push(x));
            a.merge(b);
            assert_eq!(a, whole, "split at {split}");
        }
    }
}
