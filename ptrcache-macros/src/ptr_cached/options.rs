//! The options of `#[ptr_cached(...)]`: `exp`, `max_entries`, `cache` and `crate`.

use super::Errors;
use proc_macro2::TokenStream;
use std::time::Duration;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, LitInt, Path, Token, UnOp};

/// What `exp` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exp {
    After(Duration),
    Never,
}

/// The options as written; `None` where the default applies.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) exp: Option<Exp>,
    pub(crate) max_entries: Option<u64>,
    pub(crate) cache: Option<Ident>,
    pub(crate) krate: Option<Path>,
}

const VALID: &str = "valid options are `exp`, `max_entries`, `cache` and `crate`";

const EXP_FORMS: &str = "write whole seconds like `exp = 60` (negative for never) \
     or a string with a unit: \"500ms\", \"30s\", \"10m\", \"3h\" or \"1d\"";

/// Names other caching crates use, and the option that means the same here.
const RENAMED: &[(&str, &str)] = &[
    ("ttl", "exp"),
    ("expire", "exp"),
    ("expires", "exp"),
    ("expiration", "exp"),
    ("time", "exp"),
    ("size", "max_entries"),
    ("max_size", "max_entries"),
    ("capacity", "max_entries"),
    ("max", "max_entries"),
    ("name", "cache"),
];

impl Options {
    /// Parses every `name = value`, reporting all mistakes together.
    pub(crate) fn parse(args: TokenStream) -> Result<Options, syn::Error> {
        let mut options = Options::default();
        let mut errors = Errors::default();
        let mut seen = Vec::new();
        let parser = |input: ParseStream<'_>| {
            while !input.is_empty() {
                let name = input.call(Ident::parse_any)?;
                let Some(_) = input.parse::<Option<Token![=]>>()? else {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("expected `{name} = <value>`; {}", valid_for(&name.to_string())),
                    ));
                };
                let value: Expr = input.parse()?;
                if seen.contains(&name) {
                    errors.push(syn::Error::new(
                        name.span(),
                        format!("duplicate option `{name}`; give each option once (remove this one)"),
                    ));
                } else {
                    options.set(&name, &value, &mut errors);
                    seen.push(name);
                }
                if input.is_empty() {
                    break;
                }
                input.parse::<Token![,]>()?;
            }
            Ok(())
        };
        if let Err(error) = parser.parse2(args) {
            errors.push(error);
        }
        errors.finish().map(|()| options)
    }

    /// Sets the option `name` (its first use) to `value`.
    fn set(&mut self, name: &Ident, value: &Expr, errors: &mut Errors) {
        match name.to_string().as_str() {
            "exp" => store(&mut self.exp, parse_exp(value), errors),
            "max_entries" => store(&mut self.max_entries, parse_max_entries(value), errors),
            "cache" => store(&mut self.cache, parse_cache(value), errors),
            "crate" => store(&mut self.krate, parse_crate(value), errors),
            other => {
                let message = match RENAMED.iter().find(|(old, _)| *old == other) {
                    Some((_, new)) => format!("unknown option `{other}`; write `{new} = ..` instead"),
                    None => format!("unknown option `{other}`; {VALID}"),
                };
                errors.push(syn::Error::new(name.span(), message));
            }
        }
    }
}

fn store<T>(slot: &mut Option<T>, parsed: Result<T, syn::Error>, errors: &mut Errors) {
    match parsed {
        Ok(value) => *slot = Some(value),
        Err(error) => errors.push(error),
    }
}

/// What to write for an option given without a value.
fn valid_for(name: &str) -> &'static str {
    match name {
        "exp" => "for example `exp = 60` or `exp = \"500ms\"`",
        "max_entries" => "for example `max_entries = 1000`",
        "cache" => "for example `cache = my_cache`",
        "crate" => "for example `crate = ::ptrcache`",
        _ => VALID,
    }
}

fn parse_exp(value: &Expr) -> Result<Exp, syn::Error> {
    match value {
        Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => {
            unit_without_quotes(int, "exp")?;
            let secs: u64 = int.base10_parse().map_err(|_| too_large(value))?;
            Ok(Exp::After(Duration::from_secs(secs)))
        }
        Expr::Unary(ExprUnary { op: UnOp::Neg(_), expr, .. }) => match &**expr {
            Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) => match unit_without_quotes(int, "exp")
                .map_err(|_| syn::Error::new_spanned(value, format!("bad `exp` value; {EXP_FORMS}")))
                .map(|()| int.base10_parse::<u64>())?
            {
                Ok(0) => Ok(Exp::After(Duration::ZERO)),
                _ => Ok(Exp::Never),
            },
            _ => Err(syn::Error::new_spanned(value, format!("bad `exp` value; {EXP_FORMS}"))),
        },
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => parse_duration(&text.value())
            .map(Exp::After)
            .ok_or_else(|| syn::Error::new(text.span(), format!("bad `exp` value; {EXP_FORMS}"))),
        _ => Err(syn::Error::new_spanned(value, format!("bad `exp` value; {EXP_FORMS}"))),
    }
}

/// Rejects a number with a suffix that is not an integer type (`500ms`, `10k`): Rust reads
/// `500ms` as the number 500 with a suffix, which would silently mean 500 seconds.
fn unit_without_quotes(int: &LitInt, option: &str) -> Result<(), syn::Error> {
    const INTEGER_TYPES: &[&str] =
        &["", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize"];
    let suffix = int.suffix();
    if INTEGER_TYPES.contains(&suffix) {
        return Ok(());
    }
    let written = format!("{}{suffix}", int.base10_digits());
    let message = if option == "exp" && parse_duration(&written).is_some() {
        format!("a duration with a unit is a string: write `exp = \"{written}\"`")
    } else if option == "exp" {
        format!("bad `exp` value; {EXP_FORMS}")
    } else {
        format!(
            "bad `{option}` value `{written}`; write a whole number without a unit, like `{option} = 10_000`"
        )
    };
    Err(syn::Error::new(int.span(), message))
}

fn too_large(value: &Expr) -> syn::Error {
    syn::Error::new_spanned(value, "`exp` is too large; write `exp = -1` for values that never expire")
}

/// `"500ms"`, `"30s"`, `"10m"`, `"3h"`, `"1d"` (a space before the unit is allowed).
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let digits = text.find(|c: char| !c.is_ascii_digit()).filter(|&end| end > 0)?;
    let number: u64 = text[..digits].parse().ok()?;
    let secs_per_unit = match text[digits..].trim_start() {
        "ms" => return Some(Duration::from_millis(number)),
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return None,
    };
    number.checked_mul(secs_per_unit).map(Duration::from_secs)
}

fn parse_max_entries(value: &Expr) -> Result<u64, syn::Error> {
    if let Expr::Lit(ExprLit { lit: Lit::Int(int), .. }) = value {
        unit_without_quotes(int, "max_entries")?;
        if let Ok(max) = int.base10_parse::<u64>() {
            return Ok(max);
        }
    }
    Err(syn::Error::new_spanned(
        value,
        "bad `max_entries` value; write a whole number of entries, like `max_entries = 1000`",
    ))
}

fn parse_cache(value: &Expr) -> Result<Ident, syn::Error> {
    if let Expr::Path(path) = value
        && path.qself.is_none()
        && path.attrs.is_empty()
        && let Some(ident) = path.path.get_ident()
    {
        return Ok(ident.clone());
    }
    Err(syn::Error::new_spanned(
        value,
        "bad `cache` value; write the name of the accessor function, like `cache = summoner_cache`",
    ))
}

fn parse_crate(value: &Expr) -> Result<Path, syn::Error> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(path.path.clone()),
        Expr::Lit(ExprLit { lit: Lit::Str(text), .. }) => Err(syn::Error::new(
            text.span(),
            format!("bad `crate` value; write the path without quotes: `crate = {}`", text.value()),
        )),
        _ => Err(syn::Error::new_spanned(
            value,
            "bad `crate` value; write the path to the ptrcache crate, like `crate = ::ptrcache`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn messages(args: TokenStream) -> Vec<String> {
        Options::parse(args)
            .err()
            .map_or_else(Vec::new, |error| error.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn every_option_is_read() {
        let options =
            Options::parse(quote!(exp = "1d", max_entries = 5_000, cache = store, crate = ::renamed))
                .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(options.exp, Some(Exp::After(Duration::from_secs(86_400))));
        assert_eq!(options.max_entries, Some(5_000));
        assert_eq!(options.cache.map(|ident| ident.to_string()).as_deref(), Some("store"));
        assert!(options.krate.is_some());
    }

    #[test]
    fn whole_seconds_and_negative_for_never() {
        let exp = |args| Options::parse(args).unwrap_or_else(|error| panic!("{error}")).exp;
        assert_eq!(exp(quote!(exp = 60)), Some(Exp::After(Duration::from_secs(60))));
        assert_eq!(exp(quote!(exp = -1)), Some(Exp::Never));
        assert_eq!(exp(quote!(exp = -0)), Some(Exp::After(Duration::ZERO)));
        assert_eq!(exp(quote!()), None);
    }

    #[test]
    fn all_mistakes_are_reported_together() {
        let found = messages(quote!(exp = "5 parsecs", exp = 60, ttl = 1, max_entries = -1, cache = "c"));
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("bad `exp` value"));
        assert!(
            found[1].starts_with("duplicate option `exp`"),
            "a repeat after a bad value is still a repeat"
        );
        assert!(found[2].contains("write `exp = ..` instead"));
        assert!(found[3].starts_with("bad `max_entries` value"));
        assert!(found[4].starts_with("bad `cache` value"));
    }

    #[test]
    fn a_unit_outside_quotes_is_an_error_not_a_number() {
        let found = messages(quote!(exp = 500ms, max_entries = 10k));
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[0], "a duration with a unit is a string: write `exp = \"500ms\"`");
        assert!(found[1].starts_with("bad `max_entries` value `10k`"), "{}", found[1]);
        assert!(messages(quote!(exp = -1s))[0].starts_with("bad `exp` value"));
        assert!(messages(quote!(exp = 5parsecs))[0].starts_with("bad `exp` value"));
        // Integer type suffixes are numbers.
        let options = Options::parse(quote!(exp = 60u64, max_entries = 100usize))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(options.exp, Some(Exp::After(Duration::from_secs(60))));
        assert_eq!(options.max_entries, Some(100));
    }

    #[test]
    fn durations_with_units() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("3h"), Some(Duration::from_secs(3 * 3600)));
        assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration(" 2 s "), Some(Duration::from_secs(2)));
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in ["", "ms", "5", "5 parsecs", "-1s", "1.5h", "3H", "99999999999999999999s"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(parse_duration(&format!("{}d", u64::MAX / 1000)), None);
    }
}
