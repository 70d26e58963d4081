//! What staff may see of a customer's message (PRODUCT.md §13): its first 5 characters.

/// Characters of a message staff see.
pub const STAFF_VISIBLE_CHARS: usize = 5;

/// `text` as staff see it: the first [`STAFF_VISIBLE_CHARS`] characters, then `…` when there
/// was more. Counted in characters, so a Chinese message shows 5 characters too.
pub fn mask_for_staff(text: &str) -> String {
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(STAFF_VISIBLE_CHARS).collect();
    if chars.next().is_some() {
        format!("{shown}…")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_see_five_characters() {
        assert_eq!(mask_for_staff("Your code is 123456"), "Your …");
        assert_eq!(mask_for_staff("您的驗證碼是123456"), "您的驗證碼…");
        assert_eq!(mask_for_staff("Hi"), "Hi");
        assert_eq!(mask_for_staff("Hello"), "Hello");
    }
}
