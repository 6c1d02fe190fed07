//! iCalendar (RFC 5545) for events: one calendar of many events, or of one. Times are written in
//! UTC (`DTSTART:20270302T080000Z`), which every calendar app shows in its user's zone; UIDs are
//! the events' public ids, so they never change; `SEQUENCE` rises with every change of an event;
//! cancelled events stay in the feed with `STATUS:CANCELLED`.

use crate::domain::EventStatus;
use crate::entities::event;
use chrono::{DateTime, Utc};

/// What a calendar needs besides the events.
pub struct Calendar<'a> {
    /// The calendar's name in calendar apps.
    pub name: &'a str,
    /// The host name in UIDs (`<public id>@<host>`).
    pub host: &'a str,
}

/// An event with what it is written with.
pub struct CalendarEvent<'a> {
    /// The event.
    pub event: &'a event::Model,
    /// Names of its themes.
    pub categories: Vec<String>,
    /// Names of its organisers.
    pub organisers: Vec<String>,
}

/// Escapes a TEXT value (RFC 5545 section 3.3.11).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded so that no line is longer than 75 octets (section 3.1),
/// never inside a UTF-8 character, ending in CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar with `events`, as RFC 5545 text.
pub fn render(calendar: &Calendar<'_>, events: &[CalendarEvent<'_>]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//cluster-directory//events//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(calendar.name)));
    line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&mut out, "X-PUBLISHED-TTL:PT1H");
    for item in events {
        let e = item.event;
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@{}", e.public_id, calendar.host));
        line(&mut out, &format!("DTSTAMP:{}", stamp(e.updated_at)));
        line(&mut out, &format!("CREATED:{}", stamp(e.created_at)));
        line(&mut out, &format!("LAST-MODIFIED:{}", stamp(e.updated_at)));
        line(&mut out, &format!("SEQUENCE:{}", (e.version - 1).max(0)));
        line(&mut out, &format!("DTSTART:{}", stamp(e.starts_at)));
        line(&mut out, &format!("DTEND:{}", stamp(e.ends_at)));
        line(&mut out, &format!("SUMMARY:{}", escape(&e.title)));
        if let Some(d) = &e.description {
            line(&mut out, &format!("DESCRIPTION:{}", escape(d)));
        }
        let place: Vec<&str> = [
            e.venue.as_deref(),
            e.city.as_deref(),
            e.country_code.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !place.is_empty() {
            line(&mut out, &format!("LOCATION:{}", escape(&place.join(", "))));
        } else if let Some(url) = &e.online_url {
            line(&mut out, &format!("LOCATION:{}", escape(url)));
        }
        if let Some(url) = e.registration_url.as_ref().or(e.online_url.as_ref()) {
            line(&mut out, &format!("URL:{url}"));
        }
        if !item.categories.is_empty() {
            let names: Vec<String> = item.categories.iter().map(|c| escape(c)).collect();
            line(&mut out, &format!("CATEGORIES:{}", names.join(",")));
        }
        for o in &item.organisers {
            line(&mut out, &format!("X-ORGANISER:{}", escape(o)));
        }
        let status = match e.status {
            EventStatus::Scheduled => "CONFIRMED",
            EventStatus::Postponed => "TENTATIVE",
            EventStatus::Cancelled => "CANCELLED",
        };
        line(&mut out, &format!("STATUS:{status}"));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }
}
