//! Calendar feeds for calendar apps: `GET /calendar.ics` with the events feed's filters as query
//! parameters (lists separated by commas: `?cluster=indescat&theme=health,tourism`), and
//! `GET /events/{slug}.ics` for one event.

use super::AppState;
use crate::domain::{EventFormat, EventStatus};
use crate::entities::event;
use crate::error::AppError;
use crate::graphql::event::EventFilterInput;
use crate::services::ical::{Calendar, CalendarEvent, render};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query as Sql};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use std::collections::HashMap;

/// The most events one feed holds.
const MAX_EVENTS: u64 = 1000;

/// The filters of `/calendar.ics`, as in the `events` query.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalendarParams {
    cluster: Option<String>,
    theme: Option<String>,
    collaboration: Option<String>,
    format: Option<String>,
    status: Option<String>,
    country: Option<String>,
    region: Option<String>,
    online: Option<bool>,
    language: Option<String>,
    text: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    include_past: Option<bool>,
}

fn list(value: Option<String>) -> Option<Vec<String>> {
    value.map(|v| {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn words<T: serde::de::DeserializeOwned>(
    name: &str,
    value: Option<String>,
) -> Result<Option<Vec<T>>, String> {
    let Some(items) = list(value) else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|w| {
            serde_json::from_value(serde_json::Value::String(w.to_ascii_lowercase()))
                .map_err(|_| format!("`{w}` is not a known {name}"))
        })
        .collect::<Result<Vec<T>, String>>()
        .map(Some)
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// Answers with a calendar, tagged for revalidation.
fn calendar_response(state: &AppState, headers: &HeaderMap, body: String) -> Response {
    let etag = super::weak_etag(&body);
    let fresh = super::not_modified(headers, &etag);
    let cache = format!("public, max-age={}", state.cache_max_age);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cache) {
        h.insert(header::CACHE_CONTROL, v);
    }
    response
}

/// Theme and organiser names of the events, in two statements.
async fn details(
    db: &impl ConnectionTrait,
    events: &[event::Model],
) -> Result<(HashMap<i64, Vec<String>>, HashMap<i64, Vec<String>>), AppError> {
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let mut themes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut organisers: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok((themes, organisers));
    }
    let col = |t: &str, c: &str| Expr::col((Alias::new(t), Alias::new(c)));
    let q = Sql::select()
        .expr_as(col("event_theme", "event_id"), Alias::new("event_id"))
        .expr_as(col("theme", "name"), Alias::new("name"))
        .from(Alias::new("event_theme"))
        .inner_join(
            Alias::new("theme"),
            col("theme", "id").equals((Alias::new("event_theme"), Alias::new("theme_id"))),
        )
        .and_where(col("event_theme", "event_id").is_in(ids.clone()))
        .order_by(
            (Alias::new("theme"), Alias::new("name")),
            sea_orm::Order::Asc,
        )
        .to_owned();
    for row in db.query_all(&q).await? {
        themes
            .entry(row.try_get("", "event_id")?)
            .or_default()
            .push(row.try_get("", "name")?);
    }
    let name = Func::coalesce([
        col("cluster", "name"),
        col("collaboration", "name"),
        col("organisation", "name"),
    ]);
    let q = Sql::select()
        .expr_as(col("event_organiser", "event_id"), Alias::new("event_id"))
        .expr_as(name, Alias::new("name"))
        .from(Alias::new("event_organiser"))
        .left_join(
            Alias::new("cluster"),
            col("cluster", "id").equals((Alias::new("event_organiser"), Alias::new("cluster_id"))),
        )
        .left_join(
            Alias::new("collaboration"),
            col("collaboration", "id").equals((
                Alias::new("event_organiser"),
                Alias::new("collaboration_id"),
            )),
        )
        .left_join(
            Alias::new("organisation"),
            col("organisation", "id")
                .equals((Alias::new("event_organiser"), Alias::new("organisation_id"))),
        )
        .and_where(col("event_organiser", "event_id").is_in(ids))
        .order_by(
            (Alias::new("event_organiser"), Alias::new("id")),
            sea_orm::Order::Asc,
        )
        .to_owned();
    for row in db.query_all(&q).await? {
        if let Some(n) = row.try_get::<Option<String>>("", "name")? {
            organisers
                .entry(row.try_get("", "event_id")?)
                .or_default()
                .push(n);
        }
    }
    Ok((themes, organisers))
}

async fn render_events(
    state: &AppState,
    name: &str,
    events: Vec<event::Model>,
) -> Result<String, AppError> {
    let (mut themes, mut organisers) = details(&state.db.reads, &events).await?;
    let items: Vec<CalendarEvent<'_>> = events
        .iter()
        .map(|e| CalendarEvent {
            event: e,
            categories: themes.remove(&e.id).unwrap_or_default(),
            organisers: organisers.remove(&e.id).unwrap_or_default(),
        })
        .collect();
    Ok(render(
        &Calendar {
            name,
            host: "cluster-directory",
        },
        &items,
    ))
}

fn internal(err: AppError) -> Response {
    if let AppError::Internal(cause) = &err {
        tracing::error!(error = %crate::error::chain(cause.as_ref()), "calendar failed");
    }
    match err {
        AppError::Internal(_) => plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error".to_owned(),
        ),
        other => plain(StatusCode::BAD_REQUEST, other.public_message()),
    }
}

/// `GET /calendar.ics`: the events the filters select, upcoming (and ongoing) by default.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<CalendarParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(p) = match params {
        Ok(p) => p,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!(
                    "{}; the parameters are cluster, theme, collaboration, format, status, country, region, online, language, text, from, to and includePast",
                    e.body_text()
                ),
            );
        }
    };
    let formats = match words::<EventFormat>("format", p.format) {
        Ok(f) => f,
        Err(m) => return plain(StatusCode::BAD_REQUEST, m),
    };
    let statuses = match words::<EventStatus>("status", p.status) {
        Ok(s) => s,
        Err(m) => return plain(StatusCode::BAD_REQUEST, m),
    };
    let mut title = vec!["Events".to_owned()];
    for part in [&p.cluster, &p.theme, &p.region, &p.country]
        .into_iter()
        .flatten()
    {
        title.push(part.clone());
    }
    let input = EventFilterInput {
        from: p.from,
        to: p.to,
        include_past: p.include_past.unwrap_or(false),
        themes: list(p.theme),
        clusters: list(p.cluster),
        collaborations: list(p.collaboration),
        formats,
        statuses,
        country: p.country,
        region: p.region,
        online: p.online,
        language: p.language,
        text: p.text,
    };
    let filter = match input.parse() {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    let events = event::Entity::find()
        .filter(filter.condition())
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(event::Column::Id)
        .limit(MAX_EVENTS)
        .all(&state.db.reads)
        .await;
    let events = match events {
        Ok(e) => e,
        Err(e) => return internal(e.into()),
    };
    match render_events(&state, &title.join(" · "), events).await {
        Ok(body) => calendar_response(&state, &headers, body),
        Err(e) => internal(e),
    }
}

/// `GET /events/{slug}.ics`: one event.
pub async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let Some(slug) = file.strip_suffix(".ics") else {
        return plain(
            StatusCode::NOT_FOUND,
            "ask for /events/<slug>.ics".to_owned(),
        );
    };
    let found = event::Entity::find()
        .filter(event::Column::Slug.eq(slug))
        .one(&state.db.reads)
        .await;
    match found {
        Ok(Some(e)) => {
            let name = e.title.clone();
            match render_events(&state, &name, vec![e]).await {
                Ok(body) => calendar_response(&state, &headers, body),
                Err(e) => internal(e),
            }
        }
        Ok(None) => plain(
            StatusCode::NOT_FOUND,
            format!("no event has the slug `{slug}`"),
        ),
        Err(e) => internal(e.into()),
    }
}
