//! The names an agent or a session was seen with.

/// A sorted list of names. Nearly every event names one already in it, so
/// membership is the hot path: a scan that compares lengths before bytes beats a
/// tree's byte-wise comparisons at these sizes (at most `MAX_LINKS`, usually a
/// handful), where the tree cost a fold a few percent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names(Vec<String>);

impl Names {
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|n| n.len() == name.len() && n == name)
    }

    /// Adds `name` in its sorted place, unless it is there.
    pub fn insert(&mut self, name: String) {
        if let Err(at) = self.0.binary_search(&name) {
            self.0.insert(at, name);
        }
    }

    /// In sorted order.
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl IntoIterator for Names {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Names {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_sorted_and_distinct() {
        let mut names = Names::default();
        for n in ["gpt-4o", "claude", "gpt-4o", "a", "gpt-4", "claude"] {
            names.insert(n.to_owned());
        }
        assert_eq!(names.iter().collect::<Vec<_>>(), ["a", "claude", "gpt-4", "gpt-4o"]);
        assert!(names.contains("gpt-4") && !names.contains("gpt-") && !names.contains("gpt-4o-mini"));
        assert_eq!(names.len(), 4);
    }
}
