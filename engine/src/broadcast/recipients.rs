//! Splitting pasted recipients into rows. Pure, so the composer's live count and the server's
//! check see the same rows.

/// The non-empty rows of pasted text with their 1-based row numbers. One number per line; commas
/// and semicolons also separate numbers (spaces do not: "+852 9123 4567" is one number).
pub fn rows(input: &str) -> impl Iterator<Item = (usize, &str)> {
    input
        .lines()
        .enumerate()
        .flat_map(|(i, line)| line.split([',', ';']).map(move |cell| (i + 1, cell.trim())))
        .filter(|(_, cell)| !cell.is_empty())
}

/// The distinct numbers entered, as the digits they will most likely normalise to with
/// `default_country_code` (the browser's quick estimate for counting, routing and pricing; the
/// server validates each one).
pub fn distinct_entries(input: &str, default_country_code: u16) -> Vec<String> {
    let mut seen: Vec<String> = rows(input)
        .filter(|(_, cell)| cell.chars().any(|c| c.is_ascii_digit()))
        .map(|(_, cell)| crate::pricing::estimate_digits(cell, default_country_code))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_line_numbers_and_spaces_inside_numbers() {
        let got: Vec<_> = rows("+852 9123 4567\n\n61234567, 51234567\n ; \n").collect();
        assert_eq!(
            got,
            vec![(1, "+852 9123 4567"), (3, "61234567"), (3, "51234567")]
        );
    }

    #[test]
    fn distinct_entries_ignore_blank_rows_and_formatting_duplicates() {
        assert!(distinct_entries("", 852).is_empty());
        assert_eq!(
            distinct_entries("9123 4567\n+852 91234567\n(9123)-4567\n61234567", 852),
            vec!["85261234567".to_string(), "85291234567".to_string()]
        );
    }
}
