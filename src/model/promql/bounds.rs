//! Limits checked before any query reaches the PromQL parser, whose recursion and running time are not bounded
//! on their own: size, nesting, operators and digit runs, with the offset of the first thing over a limit.

/// Largest embedded query, in bytes (real SLI queries are a few hundred).
pub const MAX_QUERY_BYTES: usize = 4096;
/// Deepest nesting of `(`, `[` and `{` in a query.
pub const MAX_QUERY_DEPTH: usize = 32;
/// Longest run of digits in a number of a query: more is never a real range, offset or threshold, and
/// overflows the PromQL parser's duration arithmetic.
pub const MAX_QUERY_DIGITS: usize = 11;
/// Most operators (arithmetic, comparison, `and`/`or`/`unless`, unary signs) in a query.
pub const MAX_QUERY_OPERATORS: usize = 128;

/// Whether a query is small and shallow enough to hand to the PromQL parser, whose recursion and running time
/// are not bounded on their own (20,000 nested `(` overflow the stack; 40,000 `+` terms take seconds). Returns
/// the offset and length of the first thing over a limit, with the message.
pub fn bounds(text: &str) -> Result<(), (usize, usize, String)> {
    if text.len() > MAX_QUERY_BYTES {
        return Err((
            0,
            text.len(),
            format!(
                "query is {} bytes long; embedded queries are limited to {MAX_QUERY_BYTES}",
                text.len()
            ),
        ));
    }
    let bytes = text.as_bytes();
    let (mut depth, mut operators) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' | b'\'' | b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += if bytes[i] == b'\\' && c != b'`' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_QUERY_DEPTH {
                    return Err((
                        i,
                        1,
                        format!("query nests deeper than {MAX_QUERY_DEPTH} levels of brackets"),
                    ));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'0'..=b'9' if i == 0 || !is_word(bytes[i - 1]) => {
                let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                if run > MAX_QUERY_DIGITS {
                    return Err((
                        i,
                        run,
                        format!("query has a number of {run} digits; at most {MAX_QUERY_DIGITS} are allowed"),
                    ));
                }
                i += run - 1;
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'<' | b'>' => operators += 1,
            b'=' if bytes.get(i + 1) == Some(&b'=') => operators += 1,
            b'a' | b'o' | b'u' => {
                let word_start = i == 0 || !is_word(bytes[i - 1]);
                let rest = &text[i..];
                let word = ["and", "or", "unless"].into_iter().find(|w| {
                    rest.starts_with(w) && !bytes.get(i + w.len()).is_some_and(|&b| is_word(b))
                });
                if let (true, Some(w)) = (word_start, word) {
                    operators += 1;
                    i += w.len() - 1;
                }
            }
            _ => {}
        }
        if operators > MAX_QUERY_OPERATORS {
            return Err((
                i,
                1,
                format!("query has more than {MAX_QUERY_OPERATORS} operators"),
            ));
        }
        i += 1;
    }
    Ok(())
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

#[cfg(test)]
mod bound_tests {
    use super::super::{parse_guarded, prevalidate};
    use super::*;

    #[test]
    fn hostile_queries_are_refused_before_parsing_and_real_ones_pass() {
        let real = r#"sum(rate(http_requests_total{job="checkout",code!~"5.."}[5m])) or vector(0)"#;
        assert!(bounds(real).is_ok());
        let deep = format!("{}x{}", "(".repeat(20_000), ")".repeat(20_000));
        assert!(bounds(&deep).is_err());
        assert!(bounds("sum(rate(x[99999999999999999999s]))").is_err());
        assert!(bounds("sum(rate(x[5m])) > 0.00000000001").is_ok());
        assert!(bounds("sum(rate(x[5m] @ 1609746000))").is_ok());
        assert!(parse_guarded("sum(rate(x[99999999999999999999s]))").is_err());
        let unary = format!("{}1", "-".repeat(20_000));
        assert!(bounds(&unary).is_err());
        let chain = vec!["a"; 40_000].join("+");
        assert!(bounds(&chain).is_err());
        // Strings and comments do not count.
        let quoted = format!("x{{a=\"{}\"}}", "((((+++".repeat(100));
        assert!(bounds(&quoted).is_ok());
        // `or`/`and`/`unless` count as words only.
        assert_eq!(
            bounds("order_total or unless_total").map_err(|e| e.2),
            Ok(())
        );
        let ors = vec!["a"; 200].join(" or ");
        assert!(bounds(&ors).is_err());
    }

    #[test]
    fn large_batches_are_parsed_in_chunks() {
        let texts: Vec<String> = (0..200).map(|i| format!("metric_{i}")).collect();
        let p = prevalidate(&texts);
        assert_eq!(p.exprs.len(), 200);
    }
}
