use super::*;
use crate::synth::{Generator, Rng, Settings};

fn accepts(text: &str) -> Res<()> {
    let mut r = Reader::new(text);
    r.skip_ws();
    r.skip()?;
    r.end()
}

/// Our verdict must match serde_json's, except where RFC 8259 and serde_json
/// part: a lone surrogate escape (valid JSON text, read as U+FFFD here) and a
/// number too large for f64 in a value nobody converts.
fn agree(text: &str) {
    let ours = accepts(text);
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => assert!(ours.is_ok(), "we reject what serde_json accepts: {text:?}: {ours:?}"),
        Err(e) => {
            let msg = e.to_string();
            if !(msg.contains("surrogate") || msg.contains("number out of range") || msg.contains("recursion limit")) {
                assert!(ours.is_err(), "we accept what serde_json rejects ({msg}): {text:?}");
            }
        }
    }
}

#[test]
fn agrees_with_serde_json_on_hand_picked_cases() {
    for text in [
        "{}",
        "[]",
        "{\"a\":1}",
        " { \"a\" : [ 1 , 2.5e-3 , -0 , true , false , null , \"x\" ] } ",
        "{\"a\":1,}",
        "{,}",
        "{\"a\"}",
        "{\"a\":}",
        "{a:1}",
        "[1,]",
        "[,1]",
        "01",
        "-",
        "-01",
        "1.",
        ".5",
        "1e",
        "1e+",
        "1E+5",
        "2.",
        "\"\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\t\"",
        "\"a\nb\"",
        "tru",
        "nul",
        "falsey",
        "{\"a\":1}x",
        "{\"a\":1} ",
        "\"\\/\"",
        "[1 2]",
        "{\"a\" 1}",
        "123456789012345678901234567890",
        "-9223372036854775809",
        "\"abc",
        "",
        "   ",
        "{\"a\":\"b\\\"c\"}",
        "{\"\\u0061\":1}",
        "[[[[]]]]",
        "{\"a\":{\"b\":{}}}",
        "\u{feff}{}",
    ] {
        agree(text);
    }
}

/// `line` with one byte deleted, inserted or replaced (by one that matters to
/// JSON), or cut short; `None` if that made it invalid UTF-8.
pub(in crate::ingest::v1) fn mutated(line: &str, rng: &mut Rng) -> Option<String> {
    const INSERTS: &[u8] = b"{}[]\",:\\ \t0123456789.eE+-tfnaux/\x01\x7f";
    let mut bytes = line.as_bytes().to_vec();
    let at = rng.below(bytes.len());
    match rng.below(4) {
        0 => {
            bytes.remove(at);
        }
        1 => bytes.insert(at, INSERTS[rng.below(INSERTS.len())]),
        2 => bytes[at] = INSERTS[rng.below(INSERTS.len())],
        _ => bytes.truncate(at),
    }
    String::from_utf8(bytes).ok()
}

#[test]
fn agrees_with_serde_json_on_mutated_event_lines() {
    let mut out = Vec::new();
    Generator::new(Settings { malformed_ratio: 0.0, ..Settings::default() }).write_lines(&mut out, 400).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut rng = Rng::new(99);
    let mut cases = 0;
    for line in text.lines() {
        agree(line);
        for _ in 0..40 {
            if let Some(mutated) = mutated(line, &mut rng) {
                agree(&mutated);
                cases += 1;
            }
        }
    }
    assert!(cases > 10_000);
}

#[test]
fn reads_values_as_serde_json_does() {
    let text = r#"{"s":"a\"b\u00e9\ud83d\ude00","i":-42,"big":18446744073709551615,"f":1.5e3,"o":{"x":[1,{"y":null}]},"a":["p","q"]}"#;
    let mut r = Reader::new(text);
    let mut seen = Vec::new();
    r.object(|r, key| {
        seen.push((key.into_owned(), format!("{:?}", r.value()?)));
        Ok(())
    })
    .unwrap();
    r.end().unwrap();
    let want = [
        ("s", "Str(\"a\\\"bé😀\")"),
        ("i", "Int(-42)"),
        ("big", "OtherNumber(1.8446744073709552e19)"),
        ("f", "OtherNumber(1500.0)"),
        ("o", "Object(\"{\\\"x\\\":[1,{\\\"y\\\":null}]}\")"),
        ("a", "Array([Str(\"p\"), Str(\"q\")])"),
    ];
    for ((k, v), (wk, wv)) in seen.iter().zip(want) {
        assert_eq!((k.as_str(), v.as_str()), (wk, wv));
    }
    assert!(matches!(Reader::new("\"\\ud800\"").value(), Ok(Value::Str(s)) if s == "\u{fffd}"));
    assert!(Reader::new("1e999").value().is_err());
}

#[test]
fn numbers_read_exactly_as_the_standard_library_reads_them() {
    let mut rng = Rng::new(5);
    let mut cases: Vec<String> = [
        "0",
        "-0",
        "1",
        "-1",
        "0.1",
        "0.2",
        "0.3",
        "1.5e3",
        "1E-7",
        "123456789012345678",
        "1234567890123456789",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "0.008622",
        "1500.0",
        "3.14159265358979",
        "2.718281828459045",
        "1e22",
        "1e23",
        "123456789012345.6",
        "1234567890123456.7",
        "0.000000000000000000001",
        "1e-22",
        "1e-23",
        "4.9e-324",
        "1.7976931348623157e308",
        "1e308",
        "0e0",
        "0.0e-5",
        "-12.5e-1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for _ in 0..20_000 {
        let int = rng.next_u64() % 10u64.pow(1 + rng.below(12) as u32);
        let frac = rng.next_u64() % 10u64.pow(rng.below(10) as u32 + 1);
        let exp = rng.below(50) as i32 - 25;
        cases.push(format!("{int}.{frac:0width$}", width = 1 + rng.below(9)));
        cases.push(format!("{int}.{frac}e{exp}"));
        cases.push(format!("-{int}"));
    }
    for text in cases {
        let got = Reader::new(&text).value().unwrap();
        let want_int = text.parse::<i64>().ok().filter(|_| !text.contains(['.', 'e', 'E']));
        match (got, want_int) {
            (Value::Int(v), Some(w)) => assert_eq!(v, w, "{text}"),
            (Value::OtherNumber(v), None) => {
                assert_eq!(v.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{text}")
            }
            (other, _) => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn special_byte_scan_finds_the_first_one() {
    for (i, c) in [b'"', b'\\', 0u8, 0x1f].into_iter().enumerate() {
        for at in 0..8 {
            let mut w = [b'a'; 8];
            w[at] = c;
            if at < 7 {
                w[7] = [b'"', b'\\', 0x01, b'"'][i];
            }
            let marks = specials(u64::from_le_bytes(w));
            assert_eq!(marks.trailing_zeros() / 8, at as u32);
        }
    }
    assert_eq!(specials(u64::from_le_bytes(*b"abc~\x7f\xc3\xa9 ")), 0);
}

#[test]
fn slices_of_ascii_text_skip_only_the_boundary_checks() {
    let line = r#"{"agent":"a-b","n":1}"#;
    // SAFETY: the literal is ASCII.
    let (ascii, any) = (unsafe { Text::ascii(line.as_bytes()) }, Text::new(line));
    for start in 0..=line.len() + 2 {
        for end in 0..=line.len() + 2 {
            assert_eq!(ascii.between(start, end), any.between(start, end), "{start}..{end}");
            assert_eq!(any.between(start, end), line.get(start..end).unwrap_or(""), "{start}..{end}");
        }
    }
    // Inside a character of other text: nothing, not half of it.
    let other = Text::new("\"é\"");
    assert_eq!((other.between(1, 2), other.between(2, 4), other.between(1, 3)), ("", "", "é"));
}
