//! The names an agent or a session was seen with.

/// A sorted set of names, packed into one buffer: each name is its length (two
/// bytes) and its bytes. Nearly every event names one already in it, so
/// membership is the hot path, and every agent has two of these (its tools and
/// models; a session's names are mostly kept by number: see `SessionNames`): a
/// `Vec` of `String`s cost an allocation a name and a `memcmp` call a
/// comparison. At these sizes (at most `MAX_LINKS`, usually a handful) a scan
/// that compares lengths first, then the bytes inline, is the fastest lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    packed: Vec<u8>,
    count: usize,
    /// The names (bits of their [`NameId`]s below 64) that linking again
    /// would not change: a bit test instead of a scan, for the event after the first.
    linked: Uncompared<u64>,
}

/// What a fold keeps only to go faster and that says nothing about the log
/// (how it numbered its names): two folds of the same events may hold
/// different ones, so every two compare equal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uncompared<T>(pub T);

impl<T> PartialEq for Uncompared<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A name's number in one fold (the order it got a row in), for [`Names`]'
/// bits of the names already linked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NameId(Uncompared<u32>);

impl Default for NameId {
    fn default() -> Self {
        NameId(Uncompared(u32::MAX))
    }
}

impl NameId {
    /// This name's number, given the next one of its kind if it has none yet.
    #[inline]
    pub fn get(&mut self, next: &mut u32) -> u32 {
        let id = &mut self.0.0;
        if *id == u32::MAX {
            *id = *next;
            *next = next.saturating_add(1).min(u32::MAX - 1);
        }
        *id
    }
}

/// The bytes first set aside for a [`Names`].
const FIRST_ROOM: usize = 64;

impl Names {
    pub fn contains(&self, name: &str) -> bool {
        let name = name.as_bytes();
        self.entries().any(|n| n.len() == name.len() && same_bytes(n, name))
    }

    /// Adds `name` in its sorted place, unless it is there; a name longer than
    /// [`MAX_TEXT`](super::MAX_TEXT) is cut to it (which also keeps its length within
    /// the two bytes that hold it).
    pub fn insert(&mut self, name: &str) {
        let name = &*super::capped_cow(name);
        let mut at = 0;
        for known in self.entries() {
            // Byte order is the order of the characters.
            match order(known, name.as_bytes()) {
                std::cmp::Ordering::Less => at += 2 + known.len(),
                std::cmp::Ordering::Equal => return,
                std::cmp::Ordering::Greater => break,
            }
        }
        if self.packed.capacity() == 0 {
            // Room for a few names at once: most sessions name one or two.
            self.packed.reserve(FIRST_ROOM.max(2 + name.len()));
        }
        // Appended: where it belongs if last (always, in an empty set), and the
        // room for it if not, where the names after its place move up by one
        // copy and it is written again in the gap (`splice` cost a twentieth of
        // a fold; `rotate_right`, with the `memcmp` calls `order` replaced,
        // about a fiftieth).
        let (end, header) = (self.packed.len(), (name.len() as u16).to_le_bytes());
        self.packed.extend_from_slice(&header);
        self.packed.extend_from_slice(name.as_bytes());
        if at < end {
            let added = self.packed.len() - end;
            self.packed.copy_within(at..end, at + added);
            if let Some(gap) = self.packed.get_mut(at..at + added) {
                gap[..2].copy_from_slice(&header);
                gap[2..].copy_from_slice(name.as_bytes());
            }
        }
        self.count += 1;
    }

    /// In sorted order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        // Only whole names from `&str`s are ever written.
        self.entries().map(|name| std::str::from_utf8(name).unwrap_or_default())
    }

    /// The names' bytes, in sorted order.
    fn entries(&self) -> Entries<'_> {
        Entries { packed: &self.packed }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn clear(&mut self) {
        self.packed.clear();
        self.count = 0;
        self.linked = Uncompared::default();
    }

    /// Adds `name` unless it is there or the set holds `cap` names.
    #[inline]
    pub fn link_name(&mut self, name: &str, cap: usize) {
        if self.len() < cap {
            // Inserting finds it if it is there.
            self.insert(name);
        }
    }

    /// [`Names::link_name`] of a name numbered `id` in this fold: once done,
    /// the same `id` costs a bit test.
    #[inline]
    pub fn link(&mut self, name: &str, id: u32, cap: usize) {
        let bit = 1u64.checked_shl(id).unwrap_or(0);
        if self.linked.0 & bit != 0 {
            return;
        }
        self.link_name(name, cap);
        // Linking again changes nothing now: the name is in, or the set is full
        // (names are never taken out but all at once, by `clear`).
        self.linked.0 |= bit;
    }
}

/// `a == b`, eight bytes at a time, inlined: names are short, and a `memcmp`
/// call (with its branches on the length) cost more than the comparison.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let word = |s: &[u8], at: usize| s.get(at..at + 8).map(|w| u64::from_ne_bytes(w.try_into().unwrap_or_default()));
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    // Whole words, then the last eight bytes (overlapping the words before).
    let last = a.len() - 8;
    (0..last).step_by(8).all(|at| word(a, at) == word(b, at)) && word(a, last) == word(b, last)
}

/// `a.cmp(b)`, inlined: names differ in their first bytes, nearly always, and
/// a `memcmp` call cost more than the comparison.
#[inline]
fn order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(at) => a.get(at).cmp(&b.get(at)),
        None => a.len().cmp(&b.len()),
    }
}

/// The names' bytes of a [`Names`], in sorted order.
struct Entries<'a> {
    packed: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.packed.split_first_chunk::<2>()?;
        let (name, rest) = rest.split_at(usize::from(u16::from_le_bytes(len)).min(rest.len()));
        self.packed = rest;
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linking_by_number_is_linking_by_name() {
        let mut rng = crate::synth::Rng::new(5);
        let names: Vec<String> = (0..80).map(|i| format!("name-{i}")).collect();
        for cap in [0, 1, 3, 64] {
            let (mut by_id, mut by_name) = (Names::default(), Names::default());
            for step in 0..5_000 {
                // Numbers past 64 take the slow way; some names are numbered twice
                // over, as after a fold was merged in.
                let i = rng.below(names.len());
                by_id.link(&names[i], i as u32, cap);
                by_name.link_name(&names[i], cap);
                if step % 1_000 == 999 {
                    by_id.clear();
                    by_name.clear();
                }
                assert_eq!(by_id.iter().collect::<Vec<_>>(), by_name.iter().collect::<Vec<_>>(), "cap {cap}");
            }
        }
    }

    #[test]
    fn names_stay_sorted_and_distinct() {
        let mut names = Names::default();
        for n in ["gpt-4o", "claude", "gpt-4o", "a", "gpt-4", "claude", "", "é"] {
            names.insert(n);
        }
        assert_eq!(names.iter().collect::<Vec<_>>(), ["", "a", "claude", "gpt-4", "gpt-4o", "é"]);
        assert!(names.contains("gpt-4") && !names.contains("gpt-") && !names.contains("gpt-4o-mini"));
        assert!(names.contains("") && names.contains("é"));
        assert_eq!(names.len(), 6);
        names.clear();
        assert!(names.is_empty() && names.iter().next().is_none() && !names.contains("a"));
    }

    #[test]
    fn membership_compares_every_byte() {
        // Names that differ in one byte, in each position of the words and the rest.
        let base = "abcdefghijklmnopqrstuvw";
        let mut names = Names::default();
        names.insert(base);
        for i in 0..base.len() {
            let mut other = base.as_bytes().to_vec();
            other[i] = b'X';
            let other = String::from_utf8(other).unwrap();
            assert!(!names.contains(&other), "{other}");
            names.insert(&other);
            assert!(names.contains(&other));
        }
        assert!(names.contains(base));
        assert_eq!(names.len(), base.len() + 1);
        let listed: Vec<&str> = names.iter().collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(listed, sorted);
    }

    #[test]
    fn a_long_name_is_capped_whole_characters() {
        let mut names = Names::default();
        let long = "é".repeat(super::super::MAX_TEXT);
        names.insert(&long);
        let kept = names.iter().next().unwrap();
        let cut = kept.strip_suffix('…').unwrap();
        assert!(cut.len() <= super::super::MAX_TEXT && long.starts_with(cut) && !cut.is_empty());
        names.insert(&long);
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn behaves_as_a_sorted_set_of_strings() {
        // Random names of 0 to 24 bytes from a small alphabet (so that many share
        // prefixes and lengths, and repeat), some with two-byte characters.
        let mut rng = crate::synth::Rng::new(5);
        let alphabet = ['a', 'b', 'z', '-', '0', 'é'];
        let (mut names, mut model) = (Names::default(), std::collections::BTreeSet::new());
        for _ in 0..5_000 {
            let len = rng.below(13);
            let name: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            assert_eq!(names.contains(&name), model.contains(&name), "{name:?}");
            if rng.chance(0.5) {
                names.insert(&name);
                model.insert(name);
            }
        }
        assert_eq!(names.len(), model.len());
        assert!(names.iter().eq(model.iter().map(String::as_str)));
    }
}
