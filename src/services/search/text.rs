//! Text handling shared by both databases' search: folding accents and case, splitting a query
//! into terms, trigram similarity for misspellings, and snippets with their highlights.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Most terms a query is split into; the rest are ignored.
pub const MAX_TERMS: usize = 8;

/// `text` in lower case without accents: "Cataluña" and "CATALUNA" both become "cataluna".
pub fn fold(text: &str) -> String {
    // Plain ASCII decomposes to itself and has no marks to drop: only the case changes.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ł' | 'Ł' => out.push('l'),
            'ø' | 'Ø' => out.push('o'),
            'đ' | 'Đ' => out.push('d'),
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ı' => out.push('i'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// `text` folded, its words joined by single spaces and punctuation dropped: the form names are
/// compared in, so that "Sports & Technology" equals "sports technology".
pub fn normalize(text: &str) -> String {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a query, folded, in order, without repeats; punctuation separates words and is
/// dropped, so no input can break the database's query syntax.
pub fn terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in fold(query).split(|c: char| !c.is_alphanumeric()) {
        if !word.is_empty() && !out.iter().any(|w| w == word) {
            out.push(word.to_owned());
        }
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// The trigrams of one folded word, padded like `pg_trgm` does ("  w", " wo", ..., "rd ").
fn trigrams(word: &str) -> Vec<[char; 3]> {
    let chars: Vec<char> = [' ', ' ']
        .into_iter()
        .chain(word.chars())
        .chain([' '])
        .collect();
    let mut out: Vec<[char; 3]> = chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// How alike two words are, from 0 to 1: shared trigrams over all trigrams of both.
pub fn word_similarity(a: &str, b: &str) -> f64 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    let shared = ta.iter().filter(|t| tb.contains(t)).count();
    let all = ta.len() + tb.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f64 / all as f64
    }
}

/// How well every term of a query is matched by some word of a folded `name`, from 0 to 1 (the
/// mean over terms of each term's best word), with the index of the best word of each term.
pub fn name_similarity(terms: &[String], name: &str) -> (f64, Vec<usize>) {
    let words: Vec<&str> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if terms.is_empty() || words.is_empty() {
        return (0.0, Vec::new());
    }
    let mut total = 0.0;
    let mut best_words = Vec::new();
    for term in terms {
        let (best, at) = words
            .iter()
            .enumerate()
            .map(|(i, w)| (word_similarity(term, w), i))
            .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a });
        total += best;
        if best > 0.0 {
            best_words.push(at);
        }
    }
    (total / terms.len() as f64, best_words)
}

/// The words of a text (runs of letters and digits, as the queries split them), each as its
/// first character and its length in characters.
fn word_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in chars.iter().chain([&' ']).enumerate() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push((s, i - s));
        }
    }
    out
}

/// Marks the database puts around a highlighted part of a snippet: characters from Unicode's
/// private use area, which no text of the directory contains.
pub const MARK_START: char = '\u{E000}';
/// See [`MARK_START`].
pub const MARK_END: char = '\u{E001}';

/// A snippet: plain text and the parts of it that matched, as character ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snippet {
    /// The text, without marks.
    pub text: String,
    /// `(start, length)` of each highlighted part, in characters (Unicode scalar values).
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// Reads a snippet marked with [`MARK_START`] and [`MARK_END`].
    pub fn from_marked(marked: &str) -> Self {
        let mut out = Snippet::default();
        let mut at = 0;
        let mut open: Option<usize> = None;
        for c in marked.chars() {
            match c {
                MARK_START => open = Some(at),
                MARK_END => {
                    if let Some(start) = open.take()
                        && at > start
                    {
                        out.highlights.push((start, at - start));
                    }
                }
                c => {
                    out.text.push(c);
                    at += 1;
                }
            }
        }
        out
    }

    /// `text` with the words at the given word indexes highlighted.
    pub fn with_words(text: &str, words: &[usize]) -> Self {
        let chars: Vec<char> = text.chars().collect();
        Snippet {
            text: text.to_owned(),
            highlights: word_spans(&chars)
                .into_iter()
                .enumerate()
                .filter(|(index, _)| words.contains(index))
                .map(|(_, span)| span)
                .collect(),
        }
    }

    /// The part of `text` around the words that start with a term (each folded, as the
    /// full-text index compares them): at most `max_words` words, the window holding the most
    /// such words, with "…" where the text goes on. `None` when no word starts with a term.
    pub fn of_terms(text: &str, terms: &[String], max_words: usize) -> Option<Self> {
        // Each word as (first char, char count, whether it matches).
        let chars: Vec<char> = text.chars().collect();
        let words: Vec<(usize, usize, bool)> = word_spans(&chars)
            .into_iter()
            .map(|(start, len)| {
                let folded = fold(&chars[start..start + len].iter().collect::<String>());
                let hit = terms.iter().any(|t| folded.starts_with(t.as_str()));
                (start, len, hit)
            })
            .collect();
        // Matching words before each word, so that a window's count is one subtraction.
        let mut before_word = vec![0usize; words.len() + 1];
        for (i, w) in words.iter().enumerate() {
            before_word[i + 1] = before_word[i] + usize::from(w.2);
        }
        let end = |from: usize| from.saturating_add(max_words).min(words.len());
        let hits = |from: usize| before_word[end(from)] - before_word[from];
        let best = (0..words.len()).max_by_key(|&i| (hits(i), std::cmp::Reverse(i)))?;
        if hits(best) == 0 {
            return None;
        }
        let last = end(best) - 1;
        let (from, to) = (words[best].0, words[last].0 + words[last].1);
        let (from, to) = if best == 0 && last == words.len() - 1 {
            (0, chars.len())
        } else {
            (from, to)
        };
        let before = usize::from(from > 0);
        let mut out = Snippet::default();
        if before == 1 {
            out.text.push('…');
        }
        out.text.extend(&chars[from..to]);
        if to < chars.len() {
            out.text.push('…');
        }
        out.highlights = words[best..=last]
            .iter()
            .filter(|w| w.2)
            .map(|w| (w.0 - from + before, w.1))
            .collect();
        Some(out)
    }

    /// The snippet as HTML: text escaped, highlights in `<mark>`.
    pub fn html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        let mut marks = self.highlights.iter().peekable();
        let mut end: Option<usize> = None;
        for (i, c) in self.text.chars().enumerate() {
            if end == Some(i) {
                out.push_str("</mark>");
                end = None;
            }
            if let Some((start, len)) = marks.peek()
                && *start == i
            {
                out.push_str("<mark>");
                end = Some(start + len);
                marks.next();
            }
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
        }
        if end.is_some() {
            out.push_str("</mark>");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_words_starting_with_a_term_around_the_most_of_them() {
        let terms = vec!["cataluna".to_owned(), "sport".to_owned()];
        let s = Snippet::of_terms("Sports cluster of Cataluña", &terms, 16).expect("matches");
        assert_eq!(s.text, "Sports cluster of Cataluña");
        assert_eq!(s.highlights, vec![(0, 6), (18, 8)]);
        let long = "one two three four five six seven eight Sport nine ten Cataluña eleven";
        let s = Snippet::of_terms(long, &terms, 4).expect("matches");
        assert_eq!(s.text, "…Sport nine ten Cataluña…");
        assert_eq!(s.highlights, vec![(1, 5), (16, 8)]);
        assert!(Snippet::of_terms("nothing here", &terms, 16).is_none());
        let whole = Snippet::of_terms("Sport and Cataluña", &terms, usize::MAX).expect("matches");
        assert_eq!(whole.highlights, vec![(0, 5), (10, 8)]);
    }

    #[test]
    fn folding_drops_case_and_accents() {
        assert_eq!(fold("Cataluña"), "cataluna");
        assert_eq!(fold("MONTAGNE"), "montagne");
        assert_eq!(fold("Łódź Ősz Straße"), "lodz osz strasse");
        // The ASCII shortcut and the full path agree.
        assert_eq!(fold("Sports & Technology 42"), "sports & technology 42");
        assert_eq!(fold("Sports & Technology é"), "sports & technology e");
        assert_eq!(
            normalize(" Sports & Technology, Brainport!"),
            "sports technology brainport"
        );
    }

    #[test]
    fn queries_split_into_distinct_folded_words() {
        assert_eq!(
            terms("Smart-textiles, smart  Montaña!"),
            ["smart", "textiles", "montana"]
        );
        assert!(terms(" ' \" & | ! ").is_empty());
        assert_eq!(terms("a b c d e f g h i j").len(), MAX_TERMS);
    }

    #[test]
    fn misspelt_words_are_similar_and_others_are_not() {
        assert!(word_similarity("cataluna", "catalunya") > 0.5);
        assert!(word_similarity("montagne", "montagne") == 1.0);
        assert!(word_similarity("textile", "hospital") < 0.2);
        let (score, words) = name_similarity(&terms("catalunia"), "indescat catalunya sport");
        assert!(score > 0.4);
        assert_eq!(words, [1]);
    }

    #[test]
    fn marked_snippets_become_text_and_ranges() {
        let s = Snippet::from_marked("Smart \u{E000}téxtiles\u{E001} for \u{E000}sport\u{E001}");
        assert_eq!(s.text, "Smart téxtiles for sport");
        assert_eq!(s.highlights, [(6, 8), (19, 5)]);
        assert_eq!(
            s.html(),
            "Smart <mark>téxtiles</mark> for <mark>sport</mark>"
        );
    }

    #[test]
    fn highlighted_words_are_found_by_index_and_html_is_escaped() {
        let s = Snippet::with_words("INDESCAT <Catalunya>", &[1]);
        assert_eq!(s.highlights, [(10, 9)]);
        assert_eq!(s.html(), "INDESCAT &lt;<mark>Catalunya</mark>&gt;");
    }
}
