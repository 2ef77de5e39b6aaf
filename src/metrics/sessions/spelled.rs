//! A session's agents and models, kept by their numbers in the fold where it
//! can, spelled out only when read.

use super::super::{MAX_LINKS, Names, Uncompared, capped_cow};

/// The agents or the models a session's events named.
///
/// Why not a [`Names`] alone: a log of short sessions opens one every dozen
/// events or so, and each new session inserted its agent's and model's names
/// into a buffer a reused slot last used for another session (leaving the
/// links out measured 0.967 of a fold's time; keeping them as below, 0.94-0.97,
/// more than the instructions saved: the buffers were the cost). A name this
/// fold numbered below 64 (see
/// `NameId`) is kept as the bit of its number instead,
/// and spelled out through `Spelling` when read; names a merge brings from
/// another fold, and names numbered from 64 on, are kept by name.
///
/// Its bits mean something only with its own fold's `Spelling`: compare two
/// of different folds through [`SessionNames::spelled_out`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionNames {
    /// The names kept by number: bit `i` for the name numbered `i`.
    by_number: u64,
    /// The names kept by name.
    by_name: Names,
    /// The numbers linked already (kept either way, or not kept for the cap):
    /// linking one again changes nothing.
    checked: Uncompared<u64>,
}

/// The names of the first 64 agents and models a fold numbered, by number: how
/// its sessions' [`SessionNames`] are spelled out.
#[derive(Debug, Clone, Default)]
pub struct Spelling {
    pub(in crate::metrics) agents: Vec<String>,
    pub(in crate::metrics) models: Vec<String>,
}

impl Spelling {
    /// Notes the name numbered `id` (cut as the fold's maps cut their keys),
    /// when it is numbered: numbers are handed out in order, so a new one below
    /// 64 is the next place in `names`.
    #[inline(always)]
    pub(in crate::metrics) fn note(names: &mut Vec<String>, id: u32, name: &str) {
        if id < 64 && id as usize == names.len() {
            Self::spell(names, name);
        }
    }

    /// [`Spelling::note`]'s rare part, out of line: the check runs for every
    /// name of every event, as a call it cost more than itself.
    #[cold]
    #[inline(never)]
    fn spell(names: &mut Vec<String>, name: &str) {
        names.push(capped_cow(name).into_owned());
    }
}

impl SessionNames {
    /// How many names are held, for the cap; a name numbered twice (see
    /// [`SessionNames::names`]) counts twice here.
    pub fn len(&self) -> usize {
        self.by_number.count_ones() as usize + self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn clear(&mut self) {
        self.by_number = 0;
        self.by_name.clear();
        self.checked = Uncompared(0);
    }

    /// Links `name`, numbered `id` in this fold (and noted in its [`Spelling`]
    /// if below 64), unless the session holds [`MAX_LINKS`] names: once done,
    /// the same `id` costs a bit test.
    #[inline(always)]
    pub(in crate::metrics) fn link(&mut self, name: &str, id: u32) {
        match 1u64.checked_shl(id) {
            // Linked before: the usual case, inlined.
            Some(bit) if self.checked.0 & bit != 0 => {}
            _ => self.link_new(name, id),
        }
    }

    /// [`SessionNames::link`] of a name not checked before, out of line.
    #[inline(never)]
    fn link_new(&mut self, name: &str, id: u32) {
        let Some(bit) = 1u64.checked_shl(id) else {
            let cap = MAX_LINKS.saturating_sub(self.by_number.count_ones() as usize);
            return self.by_name.link(name, id, cap);
        };
        self.checked.0 |= bit;
        // A merge may have brought it by name.
        if self.len() < MAX_LINKS && !self.by_name.contains(&capped_cow(name)) {
            self.by_number |= bit;
        }
    }

    /// Links `name` (of another fold) by name, unless it is here or the session
    /// holds [`MAX_LINKS`] names; `spelling` spells this fold's numbers.
    pub(super) fn link_name(&mut self, name: &str, spelling: &[String]) {
        let name = capped_cow(name);
        if self.len() < MAX_LINKS && !self.numbered(spelling).any(|known| *known == *name) {
            self.by_name.insert(&name);
        }
    }

    /// The names kept by number, spelled by `spelling`.
    fn numbered<'a>(&self, spelling: &'a [String]) -> impl Iterator<Item = &'a str> {
        let mut bits = self.by_number;
        std::iter::from_fn(move || {
            while bits != 0 {
                let id = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if let Some(name) = spelling.get(id) {
                    return Some(name.as_str());
                }
            }
            None
        })
    }

    /// The names, in sorted order, spelled by `spelling` (this fold's). A name
    /// numbered twice (dropped into "(other)" with the least active, then seen
    /// again) is listed once.
    pub fn names<'a>(&'a self, spelling: &'a [String]) -> Vec<&'a str> {
        let mut names: Vec<&str> = self.numbered(spelling).chain(self.by_name.iter()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The same names, all kept by name: for another fold, whose numbers differ.
    pub fn spelled_out(&self, spelling: &[String]) -> SessionNames {
        let mut by_name = Names::default();
        for name in self.names(spelling) {
            by_name.insert(name);
        }
        SessionNames { by_number: 0, by_name, checked: Uncompared(0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelling(names: &[&str]) -> Vec<String> {
        let mut spelling = Vec::new();
        for (id, name) in names.iter().enumerate() {
            Spelling::note(&mut spelling, id as u32, name);
        }
        spelling
    }

    #[test]
    fn names_kept_by_number_or_by_name_read_as_one_sorted_set() {
        let numbers = spelling(&["zed", "alpha", "mid"]);
        let mut s = SessionNames::default();
        s.link("zed", 0);
        s.link("zed", 0);
        s.link("mid", 2);
        s.link("far", 70);
        s.link("far", 70);
        s.link_name("alpha", &numbers);
        s.link_name("mid", &numbers);
        assert_eq!(s.names(&numbers), ["alpha", "far", "mid", "zed"]);
        assert_eq!(s.len(), 4);
        // Linked by name first, then by number: held once.
        s.link("alpha", 1);
        assert_eq!(s.names(&numbers), ["alpha", "far", "mid", "zed"]);
        assert_eq!(s.len(), 4);
        let out = s.spelled_out(&numbers);
        assert_eq!(out.names(&[]), ["alpha", "far", "mid", "zed"]);
        assert_eq!(out, spelling_free(&["zed", "mid", "far", "alpha"]));
    }

    fn spelling_free(names: &[&str]) -> SessionNames {
        let mut s = SessionNames::default();
        for name in names {
            s.link_name(name, &[]);
        }
        s
    }

    #[test]
    fn at_most_max_links_names_are_held() {
        let numbers: Vec<String> = (0..64).map(|i| format!("n{i:02}")).collect();
        let mut s = SessionNames::default();
        for (id, name) in numbers.iter().enumerate().take(40) {
            s.link(name, id as u32);
        }
        for i in 0..40 {
            s.link_name(&format!("by-name-{i}"), &numbers);
        }
        for (id, name) in numbers.iter().enumerate().skip(40) {
            s.link(name, id as u32);
        }
        s.link("late", 100);
        assert_eq!(s.len(), MAX_LINKS);
        assert_eq!(s.names(&numbers).len(), MAX_LINKS);
    }

    #[test]
    fn only_the_first_64_numbers_are_spelled_and_long_names_are_cut() {
        let mut names = Vec::new();
        Spelling::note(&mut names, 0, "a");
        Spelling::note(&mut names, 0, "a again");
        Spelling::note(&mut names, 2, "not next");
        Spelling::note(&mut names, 1, &"x".repeat(5_000));
        assert_eq!(names.len(), 2);
        assert_eq!(names[0], "a");
        assert!(names[1].len() < 1_100);
        for id in 2..100 {
            Spelling::note(&mut names, id, "n");
        }
        assert_eq!(names.len(), 64);
    }
}
