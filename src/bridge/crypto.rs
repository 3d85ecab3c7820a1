//! Content encryption compatible with the original: `ENC:<iv>:<tag>:<ciphertext>` in hex,
//! AES-256-GCM with a key from scrypt(trimmed secret, "cc2cc-aes", N=16384, r=8, p=1).

use aes_gcm::aead::consts::{U8, U12, U16};
use aes_gcm::aead::generic_array::ArrayLength;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce};

pub const PREFIX: &str = "ENC:";
const SALT: &[u8] = b"cc2cc-aes";

#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// The first line of a key cache file; a file without it is not ours to trust.
const CACHE_FORMAT: &str = "cc2cc derived key v1 (scrypt N=16384 r=8 p=1, salt cc2cc-aes)";

impl Key {
    /// The text of a key cache for `secret`: the format line, a hash naming the secret it was
    /// derived from, and the key.
    pub fn cache_text(&self, secret: &str) -> String {
        format!(
            "{CACHE_FORMAT}\n{}\n{}\n",
            secret_hash(secret),
            hex(&self.0)
        )
    }

    /// The key in a cache `text`, if that cache was made from `secret`.
    pub fn from_cache(text: &str, secret: &str) -> Option<Key> {
        let mut lines = text.lines();
        if lines.next()? != CACHE_FORMAT || lines.next()? != secret_hash(secret) {
            return None;
        }
        let key: [u8; 32] = unhex(lines.next()?).ok()?.try_into().ok()?;
        Some(Key(key))
    }

    /// The slow step (tens of milliseconds by design); callers cache it. The secret is trimmed
    /// as the original's `.trim()` does.
    pub fn derive(secret: &str) -> Key {
        let params = scrypt::Params::new(14, 8, 1, 32).expect("constant scrypt parameters");
        let mut out = [0u8; 32];
        scrypt::scrypt(js_trim(secret).as_bytes(), SALT, &params, &mut out)
            .expect("32 is a valid scrypt output length");
        Key(out)
    }
}

/// JavaScript's `String.prototype.trim`: its WhiteSpace and LineTerminator set, which unlike
/// Rust's `trim` includes U+FEFF and excludes U+0085.
pub fn js_trim(s: &str) -> &str {
    fn js_space(c: char) -> bool {
        matches!(
            c,
            '\u{9}'..='\u{d}'
                | ' '
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
        )
    }
    s.trim_matches(js_space)
}

/// True for text shaped like the original's ciphertext, `ENC:<hex>:<hex>:<hex>`. Other text
/// that merely starts with `ENC:` is plain text and is shown as such.
pub fn is_encrypted(text: &str) -> bool {
    let Some(body) = text.strip_prefix(PREFIX) else {
        return false;
    };
    let parts: Vec<&str> = body.split(':').collect();
    // The ciphertext of an empty text is empty; the IV and the tag never are.
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts
            .iter()
            .all(|p| p.len().is_multiple_of(2) && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn encrypt(key: &Key, plain: &str) -> String {
    let iv = uuid::Uuid::new_v4().into_bytes(); // OS randomness; the first 12 bytes are the IV
    let cipher = AesGcm::<Aes256, U12>::new(&key.0.into());
    let mut sealed = cipher
        .encrypt(Nonce::from_slice(&iv[..12]), plain.as_bytes())
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let tag = sealed.split_off(sealed.len() - 16);
    format!("{PREFIX}{}:{}:{}", hex(&iv[..12]), hex(&tag), hex(&sealed))
}

/// Decrypts an `ENC:` string. Every failure is an error with a reason, never a panic: the text
/// comes from other agents' files.
pub fn decrypt(key: &Key, text: &str) -> Result<String, String> {
    let body = text.strip_prefix(PREFIX).ok_or("not an ENC: string")?;
    let mut parts = body.split(':');
    let (Some(iv), Some(tag), Some(ct), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected ENC:<iv>:<tag>:<ciphertext>".into());
    };
    let (iv, tag, mut sealed) = (unhex(iv)?, unhex(tag)?, unhex(ct)?);
    if tag.len() != 16 {
        return Err(format!("tag is {} bytes, expected 16", tag.len()));
    }
    sealed.extend_from_slice(&tag);
    let plain = match iv.len() {
        12 => open::<U12>(key, &iv, &sealed),
        16 => open::<U16>(key, &iv, &sealed),
        8 => open::<U8>(key, &iv, &sealed),
        n => return Err(format!("unsupported IV length {n}")),
    }
    .ok_or("wrong secret or damaged ciphertext")?;
    String::from_utf8(plain).map_err(|_| "plaintext is not UTF-8".into())
}

fn open<N: ArrayLength<u8>>(key: &Key, iv: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    AesGcm::<Aes256, N>::new(&key.0.into())
        .decrypt(Nonce::<N>::from_slice(iv), sealed)
        .ok()
}

/// Names a secret without revealing it: a hash of the trimmed secret, apart from any other use.
fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(CACHE_FORMAT.as_bytes());
    h.update([0]);
    h.update(js_trim(secret).as_bytes());
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("malformed hex".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_cache_serves_only_the_secret_it_was_made_from() {
        let key = Key::derive("s3cret");
        let text = key.cache_text(" s3cret\n");
        assert!(!text.contains("s3cret"));
        let back = Key::from_cache(&text, "s3cret").unwrap();
        assert_eq!(back.0, key.0);
        assert!(Key::from_cache(&text, "other").is_none());
        assert!(Key::from_cache(&text.replacen("v1", "v2", 1), "s3cret").is_none());
        assert!(Key::from_cache("", "s3cret").is_none());
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = Key::derive("  s3cret\n");
        let enc = encrypt(&key, "héllo ✓");
        assert_eq!(decrypt(&key, &enc).unwrap(), "héllo ✓");
        assert!(decrypt(&Key::derive("other"), &enc).is_err());
        for junk in [
            "ENC:",
            "ENC:zz:yy:xx",
            "ENC:00:00:00",
            "ENC:a:b:c:d",
            "plain",
        ] {
            assert!(decrypt(&key, junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn trims_like_javascript() {
        assert_eq!(js_trim("\u{feff} s3cret \n\u{3000}"), "s3cret");
        assert_eq!(js_trim("\u{85}s\u{85}"), "\u{85}s\u{85}");
        assert_eq!(js_trim(" \t\r\n\u{b}\u{c}\u{a0}"), "");
        assert!(is_encrypted("ENC:00:11:22"));
        assert!(is_encrypted("ENC:00:11:"));
        for plain in [
            "ENC: hello",
            "ENC:",
            "ENC:0:11:22",
            "ENC:zz:11:22",
            "ENC:00:11",
        ] {
            assert!(!is_encrypted(plain), "{plain}");
        }
    }
}
