//! Input validation at the edge: every check of a write adds to one list, so that a rejected
//! write names every bad field at once (`BAD_USER_INPUT` with `extensions.fields`).

use crate::error::{AppError, AppResult, FieldError};
use chrono::{Datelike, NaiveDate, Utc};

/// ISO 3166-1 alpha-2 codes, plus `EL` and `UK`, which NUTS uses for Greece and the United Kingdom.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL \
BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW \
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB \
LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC \
NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC \
SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ \
UA UG UK UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// Collects the problems of one write's input.
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
    /// Where the checked fields live when not under `input` (e.g. `rows[3]` of an import).
    row: Option<usize>,
}

impl Check {
    /// A fresh, empty list for a mutation's `input`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh list for row `row` (1-based) of an import: fields are named `rows[row].field`.
    pub fn for_row(row: usize) -> Self {
        Self {
            errors: Vec::new(),
            row: Some(row),
        }
    }

    /// The full name of a field: `input.website` for mutations, `rows[3].website` (the file's
    /// column, in snake_case) for imports.
    fn name(&self, field: &str) -> String {
        match self.row {
            Some(row) => format!("rows[{row}].{}", snake(short(field))),
            None => field.to_owned(),
        }
    }

    /// Records a problem with `field`.
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        let field = self.name(field);
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// Whether a problem has been recorded for `field`.
    pub fn failed(&self, field: &str) -> bool {
        let field = self.name(field);
        self.errors.iter().any(|e| e.field == field)
    }

    /// The problems found so far.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// Ends the checks: `BAD_USER_INPUT` naming every bad field, or nothing.
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }

    /// Required text of `min..=max` characters after trimming.
    pub fn text(&mut self, field: &str, value: &mut String, min: usize, max: usize) {
        *value = value.trim().to_owned();
        let n = value.chars().count();
        if n < min || n > max {
            self.fail(
                field,
                if min > 0 && n == 0 {
                    format!("`{}` must not be empty", short(field))
                } else {
                    format!(
                        "`{}` must be {min} to {max} characters long; it has {n}",
                        short(field)
                    )
                },
            );
        }
    }

    /// Optional text of at most `max` characters; blank becomes null.
    pub fn opt_text(&mut self, field: &str, value: &mut Option<String>, max: usize) {
        if let Some(v) = value.as_mut() {
            self.text(field, v, 0, max);
            if v.is_empty() {
                *value = None;
            }
        }
    }

    /// An optional absolute `http` or `https` URL with a host.
    pub fn url(&mut self, field: &str, value: &mut Option<String>) {
        self.opt_text(field, value, 2048);
        let Some(v) = value.as_deref() else { return };
        let rest = v
            .strip_prefix("https://")
            .or_else(|| v.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        let host_ok = host.is_some_and(|h| {
            let h = h.rsplit('@').next().unwrap_or(h);
            let name = h.split(':').next().unwrap_or("");
            (name.contains('.') || name == "localhost")
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
                && !name.starts_with('.')
                && !name.ends_with('.')
        });
        if !host_ok || v.chars().any(char::is_whitespace) {
            self.fail(
                field,
                format!(
                    "`{v}` is not a web address; give a full URL such as `https://example.org/`"
                ),
            );
        }
    }

    /// An optional e-mail address.
    pub fn email(&mut self, field: &str, value: &mut Option<String>) {
        self.opt_text(field, value, 254);
        let Some(v) = value.as_deref() else { return };
        let ok = match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !v.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
            }
            None => false,
        };
        if !ok {
            self.fail(
                field,
                format!("`{v}` is not an e-mail address such as `info@example.org`"),
            );
        }
    }

    /// An optional phone number: digits with spaces, dashes, dots, brackets and a leading `+`.
    pub fn phone(&mut self, field: &str, value: &mut Option<String>) {
        self.opt_text(field, value, 32);
        let Some(v) = value.as_deref() else { return };
        let digits = v.chars().filter(char::is_ascii_digit).count();
        let ok = (6..=17).contains(&digits)
            && v.chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || " -.()/".contains(c) || (c == '+' && i == 0));
        if !ok {
            self.fail(
                field,
                format!("`{v}` is not a phone number such as `+31 40 123 4567`"),
            );
        }
    }

    /// An ISO 3166-1 alpha-2 country code; upper-cased.
    pub fn country(&mut self, field: &str, value: &mut String) {
        *value = value.trim().to_ascii_uppercase();
        if value.len() != 2 || !COUNTRIES.split(' ').any(|c| c == value) {
            self.fail(
                field,
                format!("`{value}` is not an ISO 3166-1 alpha-2 country code such as `NL` or `ES`"),
            );
        }
    }

    /// An optional country code.
    pub fn opt_country(&mut self, field: &str, value: &mut Option<String>) {
        if let Some(v) = value.as_mut() {
            self.country(field, v);
        }
    }

    /// A year between 1800 and next year.
    pub fn year(&mut self, field: &str, value: Option<i32>) {
        let next = Utc::now().year() + 1;
        if let Some(y) = value
            && !(1800..=next).contains(&y)
        {
            self.fail(
                field,
                format!("`{field}` must be a year from 1800 to {next}"),
            );
        }
    }

    /// A number that must not be negative.
    pub fn not_negative<T: PartialOrd + Default + Copy>(&mut self, field: &str, value: Option<T>) {
        if value.is_some_and(|v| v < T::default()) {
            self.fail(field, format!("`{}` must not be negative", short(field)));
        }
    }

    /// `start` must not lie after `end` when both are known.
    pub fn in_order<T: PartialOrd>(
        &mut self,
        end_field: &str,
        start: Option<T>,
        end: Option<T>,
        what: &str,
    ) {
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            self.fail(end_field, format!("{what} must not come before its start"));
        }
    }

    /// A slug: lower-case letters, digits and dashes, 2 to 128 characters.
    pub fn slug(&mut self, field: &str, value: &str) {
        let ok = (2..=128).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if !ok {
            self.fail(
                field,
                format!("`{value}` is not a slug: use 2 to 128 lower-case letters, digits and dashes, e.g. `smart-textiles`"),
            );
        }
    }
}

/// The field's own name, without `input.`.
fn short(field: &str) -> &str {
    field.strip_prefix("input.").unwrap_or(field)
}

/// `contactName` as `contact_name`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A slug made from a name: `Cluster Montagne — Savoie` becomes `cluster-montagne-savoie`.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    out.truncate(120);
    let out = out.trim_end_matches('-').to_owned();
    if out.len() < 2 {
        format!("item-{out}")
    } else {
        out
    }
}

/// `base` if it is not taken, else the first of `base-2`, `base-3`, ... that is not.
pub fn first_free(base: String, taken: &std::collections::HashSet<String>) -> String {
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|s| !taken.contains(s))
        .unwrap_or(base)
}

/// The unaccented form of common Latin letters.
fn fold_accent(c: char) -> Vec<char> {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' | 'ę' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' | 'ń' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ő' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ő' | 'Ø' => {
            'o'
        }
        'ù' | 'ú' | 'û' | 'ü' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ű' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ł' | 'Ł' => 'l',
        'ś' | 'š' | 'Ś' | 'Š' => 's',
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => 'z',
        'ß' => return vec!['s', 's'],
        'æ' | 'Æ' => return vec!['a', 'e'],
        other => other,
    };
    vec![plain]
}

/// Today, for checks of validity dates.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut check = Check::new();
        let mut website = Some("not a url".to_owned());
        let mut email = Some("nobody".to_owned());
        let mut country = "XX".to_owned();
        check.url("input.website", &mut website);
        check.email("input.email", &mut email);
        check.country("input.countryCode", &mut country);
        check.year("input.yearEstablished", Some(1200));
        match check.finish() {
            Err(AppError::Invalid(errors)) => assert_eq!(errors.len(), 4),
            other => panic!("expected four errors, got {other:?}"),
        }
    }

    #[test]
    fn good_values_pass_and_are_normalised() {
        let mut check = Check::new();
        let mut website = Some(" https://www.indescat.org/ ".to_owned());
        let mut email = Some("info@indescat.org".to_owned());
        let mut phone = Some("+34 93 000 00 00".to_owned());
        let mut country = "es".to_owned();
        check.url("w", &mut website);
        check.email("e", &mut email);
        check.phone("p", &mut phone);
        check.country("c", &mut country);
        assert!(check.finish().is_ok());
        assert_eq!(website.as_deref(), Some("https://www.indescat.org/"));
        assert_eq!(country, "ES");
    }

    #[test]
    fn slugs_are_made_from_names() {
        assert_eq!(
            slugify("Cluster Montagne — Savoie"),
            "cluster-montagne-savoie"
        );
        assert_eq!(slugify("Català & Esport"), "catala-esport");
        assert_eq!(slugify("Łódź Sport"), "lodz-sport");
    }
}
