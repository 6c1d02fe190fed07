//! Bulk import of organisations, with their membership and contacts, into one cluster, from CSV or
//! JSON. Every row is checked before anything is written; all problems are reported together
//! (`rows[N].field`, rows counted from 1); and either every row is written or none. A row matches
//! an existing organisation by `external_id`, or else by `website`, so importing the same file again
//! updates instead of duplicating.
//!
//! Columns (CSV header, or keys of the JSON objects): `external_id`, `name`, `type`,
//! `size_class`, `headcount`, `nace_codes` (separated by `;`), `country_code`, `region` (NUTS),
//! `city`, `website`, `description`, `themes` (slugs separated by `;`), `role` (membership role,
//! `member` when empty), `since`, `until` (dates), and one contact per row: `contact_name`,
//! `contact_role`, `contact_email`, `contact_phone`, `contact_visibility` (`private` when empty).
//! JSON rows may instead carry `contacts`: a list of objects with `name`, `role`, `email`,
//! `phone` and `visibility`.

use crate::domain::{MembershipRole, OrganisationType, SizeClass, Visibility};
use crate::entities::{contact, membership, organisation, organisation_theme, region, theme};
use crate::error::{AppError, AppResult, FieldError};
use crate::services::access::managed_organisations;
use crate::services::audit::{self, Entry, Operation};
use crate::services::organisation::{check_organisation_fields, pack_codes};
use crate::services::validate::{Check, first_free, slugify};
use crate::services::write::Write;
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use uuid::Uuid;

/// The formats an import file may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum ImportFormat {
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
    /// A JSON array of objects.
    Json,
}

/// What an import did (or, for a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, async_graphql::SimpleObject)]
pub struct ImportReport {
    /// Rows read.
    pub rows: u32,
    /// Organisations created.
    pub organisations_created: u32,
    /// Existing organisations changed.
    pub organisations_updated: u32,
    /// Existing organisations the file left as they were.
    pub organisations_unchanged: u32,
    /// Memberships of the cluster created.
    pub memberships_created: u32,
    /// Memberships of the cluster changed.
    pub memberships_updated: u32,
    /// Contacts created.
    pub contacts_created: u32,
    /// Contacts changed.
    pub contacts_updated: u32,
    /// Nothing was written: the file was only checked.
    pub dry_run: bool,
}

const COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "type",
    "size_class",
    "headcount",
    "nace_codes",
    "country_code",
    "region",
    "city",
    "website",
    "description",
    "themes",
    "role",
    "since",
    "until",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "contact_visibility",
    "contacts",
];

/// One row as read: text by column, and any contacts given as a list.
#[derive(Debug, Default)]
struct RawRow {
    fields: HashMap<String, String>,
    contacts: Vec<HashMap<String, String>>,
}

impl RawRow {
    fn get(&self, key: &str) -> Option<String> {
        self.fields
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => Some(a.iter().filter_map(text_of).collect::<Vec<_>>().join(";")),
        other => Some(other.to_string()),
    }
}

fn bad_file(message: impl Into<String>) -> AppError {
    AppError::bad_input("data", message)
}

/// Reads the rows of a file.
fn read(format: ImportFormat, data: &str) -> AppResult<Vec<RawRow>> {
    let mut unknown = BTreeSet::new();
    let rows = match format {
        ImportFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::All)
                .from_reader(data.as_bytes());
            let headers: Vec<String> = reader
                .headers()
                .map_err(|e| bad_file(format!("the CSV header cannot be read: {e}")))?
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect();
            unknown.extend(
                headers
                    .iter()
                    .filter(|h| !COLUMNS.contains(&h.as_str()) || *h == "contacts")
                    .cloned(),
            );
            let mut rows = Vec::new();
            for (i, record) in reader.records().enumerate() {
                let record =
                    record.map_err(|e| bad_file(format!("row {} is not valid CSV: {e}", i + 1)))?;
                let fields = headers
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_owned))
                    .collect();
                rows.push(RawRow {
                    fields,
                    contacts: Vec::new(),
                });
            }
            rows
        }
        ImportFormat::Json => {
            let value: Value = serde_json::from_str(data)
                .map_err(|e| bad_file(format!("the file is not valid JSON: {e}")))?;
            let Value::Array(items) = value else {
                return Err(bad_file(
                    "the JSON file must be an array of objects, one per row",
                ));
            };
            let mut rows = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let Value::Object(object) = item else {
                    return Err(bad_file(format!("row {} is not a JSON object", i + 1)));
                };
                let mut row = RawRow::default();
                for (key, value) in object {
                    if !COLUMNS.contains(&key.as_str()) {
                        unknown.insert(key);
                        continue;
                    }
                    if key == "contacts" {
                        for c in value.as_array().into_iter().flatten() {
                            let map = c
                                .as_object()
                                .into_iter()
                                .flatten()
                                .filter_map(|(k, v)| text_of(v).map(|t| (k.clone(), t)))
                                .collect();
                            row.contacts.push(map);
                        }
                    } else if let Some(text) = text_of(&value) {
                        row.fields.insert(key, text);
                    }
                }
                rows.push(row);
            }
            rows
        }
    };
    if !unknown.is_empty() {
        return Err(bad_file(format!(
            "unknown columns {unknown:?}; the columns are {}",
            COLUMNS.join(", ")
        )));
    }
    if rows.is_empty() {
        return Err(bad_file("the file has no rows"));
    }
    Ok(rows)
}

/// A contact as a row gives it.
#[derive(Debug, Clone)]
struct ContactRow {
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    visibility: Visibility,
}

/// A checked row.
#[derive(Debug)]
struct Row {
    key: String,
    org: organisation::Model,
    themes: Option<Vec<i64>>,
    role: MembershipRole,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    contacts: Vec<ContactRow>,
}

fn vocabulary<T: serde::de::DeserializeOwned>(
    check: &mut Check,
    field: &str,
    value: Option<String>,
    words: &str,
) -> Option<T> {
    let v = value?;
    let word = v.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    match serde_json::from_value(Value::String(word)) {
        Ok(t) => Some(t),
        Err(_) => {
            check.fail(field, format!("`{v}` is not one of: {words}"));
            None
        }
    }
}

fn date(check: &mut Check, field: &str, value: Option<String>) -> Option<NaiveDate> {
    let v = value?;
    match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            check.fail(field, format!("`{v}` is not a date such as `2024-05-31`"));
            None
        }
    }
}

const TYPES: &str = "sme, large_company, start_up, knowledge_institution, university, sport_field_lab, public_authority, sports_club, sports_federation, network";

/// Checks one row against the regions and themes of the directory.
fn check_row(
    n: usize,
    raw: &RawRow,
    regions: &HashMap<String, (i64, String)>,
    themes: &HashMap<String, i64>,
) -> Result<Row, Vec<FieldError>> {
    let mut check = Check::for_row(n);
    let name = raw.get("name").unwrap_or_default();
    let org_type = match raw.get("type") {
        None => {
            check.fail("input.type", format!("`type` is required: one of {TYPES}"));
            None
        }
        t => vocabulary::<OrganisationType>(&mut check, "input.type", t, TYPES),
    };
    let size_class = vocabulary::<SizeClass>(
        &mut check,
        "input.sizeClass",
        raw.get("size_class"),
        "micro, small, medium, large",
    );
    let headcount = raw.get("headcount").and_then(|h| match h.parse::<i32>() {
        Ok(v) => Some(v),
        Err(_) => {
            check.fail("input.headcount", format!("`{h}` is not a whole number"));
            None
        }
    });
    let nace: Vec<String> = raw
        .get("nace_codes")
        .map(|s| {
            s.split([';', ','])
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let external_id = raw.get("external_id");
    let website = raw.get("website");
    let text_language = match raw.get("text_language") {
        None => crate::domain::Language::En,
        Some(tag) => crate::domain::Language::from_tag(&tag).unwrap_or_else(|| {
            check.fail(
                "input.textLanguage",
                format!("`{tag}` is not a language of the directory, such as `en`, `nl` or `fr`"),
            );
            crate::domain::Language::En
        }),
    };
    let mut org = organisation::Model {
        id: 0,
        public_id: Uuid::nil(),
        slug: "import-pending".to_owned(),
        name,
        org_type: org_type.unwrap_or(OrganisationType::Sme),
        size_class,
        headcount,
        nace_codes: pack_codes(&nace),
        nace_version: Some("NACE Rev. 2".to_owned()),
        country_code: raw.get("country_code").unwrap_or_default(),
        region_id: None,
        city: raw.get("city"),
        website,
        description: raw.get("description"),
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
        text_language,
        external_id,
    };
    check_organisation_fields(&mut check, &mut org);
    if let Some(code) = raw.get("region") {
        let code = code.to_ascii_uppercase();
        match regions.get(&code) {
            None => check.fail(
                "input.region",
                format!("no region has the NUTS code `{code}`"),
            ),
            Some((_, country)) if *country != org.country_code => check.fail(
                "input.region",
                format!(
                    "region `{code}` lies in {country}, not in {}",
                    org.country_code
                ),
            ),
            Some((id, _)) => org.region_id = Some(*id),
        }
    }
    let theme_ids = raw.get("themes").map(|s| {
        s.split([';', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .filter_map(|t| match themes.get(t) {
                Some(id) => Some(*id),
                None => {
                    check.fail("input.themes", format!("no theme has the slug `{t}`"));
                    None
                }
            })
            .collect::<Vec<_>>()
    });
    let role = vocabulary::<MembershipRole>(
        &mut check,
        "input.role",
        raw.get("role"),
        "member, founding_member, board, knowledge_partner, sport_field_lab, managing_organisation",
    )
    .unwrap_or(MembershipRole::Member);
    let since = date(&mut check, "input.since", raw.get("since"));
    let until = date(&mut check, "input.until", raw.get("until"));
    check.in_order("input.until", since, until, "the end of the membership");

    let mut contact_maps: Vec<HashMap<String, String>> = raw.contacts.clone();
    if raw.get("contact_name").is_some() || raw.get("contact_email").is_some() {
        let mut m = HashMap::new();
        for k in ["name", "role", "email", "phone", "visibility"] {
            if let Some(v) = raw.get(&format!("contact_{k}")) {
                m.insert(k.to_owned(), v);
            }
        }
        contact_maps.push(m);
    }
    let mut contacts = Vec::new();
    for m in contact_maps {
        let get = |k: &str| {
            m.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut c = ContactRow {
            name: get("name").unwrap_or_default(),
            role: get("role"),
            email: get("email"),
            phone: get("phone"),
            visibility: vocabulary::<Visibility>(
                &mut check,
                "input.contactVisibility",
                get("visibility"),
                "public, members, private",
            )
            .unwrap_or(Visibility::Private),
        };
        check.text("input.contactName", &mut c.name, 1, 200);
        check.opt_text("input.contactRole", &mut c.role, 200);
        check.email("input.contactEmail", &mut c.email);
        check.phone("input.contactPhone", &mut c.phone);
        contacts.push(c);
    }
    let key = match (&org.external_id, &org.website) {
        (Some(ext), _) => format!("ext:{ext}"),
        (None, Some(site)) => format!("web:{}", normal_site(site)),
        (None, None) => {
            check.fail(
                "input.externalId",
                "give an `external_id` or a `website`, so that importing the file again updates this organisation instead of adding it twice",
            );
            String::new()
        }
    };
    let errors = check.into_errors();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Row {
        key,
        org,
        themes: theme_ids,
        role,
        since,
        until,
        contacts,
    })
}

/// A website as a matching key: no scheme, no `www.`, no trailing slash, lower case.
fn normal_site(site: &str) -> String {
    let s = site.trim().to_ascii_lowercase();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(&s);
    let s = s.strip_prefix("www.").unwrap_or(s);
    s.trim_end_matches('/').to_owned()
}

/// Fields of an organisation an import may change.
fn same_profile(a: &organisation::Model, b: &organisation::Model) -> bool {
    a.name == b.name
        && a.org_type == b.org_type
        && a.size_class == b.size_class
        && a.headcount == b.headcount
        && a.nace_codes == b.nace_codes
        && a.country_code == b.country_code
        && a.region_id == b.region_id
        && a.city == b.city
        && a.website == b.website
        && a.description == b.description
        && a.external_id == b.external_id
}

/// Imports `data` into the cluster `cluster_id` inside the write `w`; the caller has been allowed
/// to manage the cluster. With `dry_run`, everything is checked and counted, and the caller rolls
/// back.
pub async fn import(
    w: &Write,
    cluster_id: i64,
    format: ImportFormat,
    data: &str,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let raw = read(format, data)?;
    let regions: HashMap<String, (i64, String)> = region::Entity::find()
        .all(&w.txn)
        .await?
        .into_iter()
        .map(|r| (r.code, (r.id, r.country_code)))
        .collect();
    let themes: HashMap<String, i64> = theme::Entity::find()
        .all(&w.txn)
        .await?
        .into_iter()
        .map(|t| (t.slug, t.id))
        .collect();

    // Check every row; report every problem of every row at once.
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (i, r) in raw.iter().enumerate() {
        let n = i + 1;
        match check_row(n, r, &regions, &themes) {
            Ok(row) => {
                if let Some(first) = first_row_of.insert(row.key.clone(), n) {
                    errors.push(FieldError {
                        field: format!("rows[{n}].external_id"),
                        message: format!(
                            "row {n} describes the same organisation as row {first} (same external id or website)"
                        ),
                    });
                }
                rows.push((n, row));
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }

    // Existing organisations by key.
    let mut existing: HashMap<String, organisation::Model> = HashMap::new();
    let ext_ids: Vec<String> = rows
        .iter()
        .filter_map(|(_, r)| r.org.external_id.clone())
        .collect();
    for chunk in ext_ids.chunks(500) {
        for o in organisation::Entity::find()
            .filter(organisation::Column::ExternalId.is_in(chunk.to_vec()))
            .all(&w.txn)
            .await?
        {
            if let Some(ext) = &o.external_id {
                existing.insert(format!("ext:{ext}"), o);
            }
        }
    }
    let sites: HashSet<String> = rows
        .iter()
        .filter(|(_, r)| r.org.external_id.is_none())
        .filter_map(|(_, r)| r.org.website.as_deref().map(normal_site))
        .collect();
    if !sites.is_empty() {
        let with_site = organisation::Entity::find()
            .filter(organisation::Column::Website.is_not_null())
            .all(&w.txn)
            .await?;
        for o in with_site {
            let key = normal_site(o.website.as_deref().unwrap_or_default());
            if sites.contains(&key) {
                existing.insert(format!("web:{key}"), o);
            }
        }
    }

    // An existing organisation the caller may not change is an error of its row.
    let matched: Vec<i64> = existing.values().map(|o| o.id).collect();
    let mut managed: HashSet<i64> = matched.iter().copied().collect();
    if let Some(ids) = managed_organisations(&w.actor.caller) {
        managed.clear();
        for chunk in matched.chunks(500) {
            let q = Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("organisation"))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
                .and_where(Expr::col(Alias::new("id")).in_subquery(ids.clone()))
                .to_owned();
            for r in w.txn.query_all(&q).await? {
                managed.insert(r.try_get("", "id")?);
            }
        }
    }
    for (n, row) in &rows {
        if let Some(o) = existing.get(&row.key)
            && !managed.contains(&o.id)
        {
            errors.push(FieldError {
                field: format!("rows[{n}].external_id"),
                message: format!(
                    "matches the organisation `{}`, which your key may not change; leave the row out or ask a steward or admin",
                    o.slug
                ),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }

    let mut report = ImportReport {
        rows: rows.len() as u32,
        dry_run,
        ..Default::default()
    };
    let mut audit = Vec::new();
    let now = Utc::now();

    // New organisations, in bulk, with slugs that are free.
    let mut taken: HashSet<String> = organisation::Entity::find()
        .select_only()
        .column(organisation::Column::Slug)
        .into_tuple::<String>()
        .all(&w.txn)
        .await?
        .into_iter()
        .collect();
    let mut org_id: BTreeMap<usize, i64> = BTreeMap::new();
    let mut new_orgs = Vec::new();
    for (n, row) in &rows {
        match existing.get(&row.key) {
            Some(current) => {
                org_id.insert(*n, current.id);
                let mut draft = current.clone();
                let o = &row.org;
                (
                    draft.name,
                    draft.org_type,
                    draft.size_class,
                    draft.headcount,
                ) = (o.name.clone(), o.org_type, o.size_class, o.headcount);
                (draft.nace_codes, draft.country_code, draft.region_id) =
                    (o.nace_codes.clone(), o.country_code.clone(), o.region_id);
                (
                    draft.city,
                    draft.website,
                    draft.description,
                    draft.external_id,
                ) = (
                    o.city.clone(),
                    o.website.clone(),
                    o.description.clone(),
                    o.external_id.clone(),
                );
                if same_profile(current, &draft) {
                    report.organisations_unchanged += 1;
                } else {
                    w.update::<organisation::Entity>(
                        "Organisation",
                        current,
                        draft,
                        current.version,
                        &[],
                    )
                    .await?;
                    report.organisations_updated += 1;
                }
            }
            None => {
                let slug = first_free(slugify(&row.org.name), &taken);
                taken.insert(slug.clone());
                let public_id = Uuid::new_v4();
                let mut active = organisation::Model {
                    slug,
                    public_id,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                    ..row.org.clone()
                }
                .into_active_model();
                active.id = sea_orm::ActiveValue::NotSet;
                new_orgs.push((*n, public_id, active));
                audit.push(Entry {
                    operation: Operation::Create,
                    entity_type: "Organisation",
                    entity_id: public_id,
                    fields: "import".to_owned(),
                });
                report.organisations_created += 1;
            }
        }
    }
    for chunk in new_orgs.chunks(500) {
        organisation::Entity::insert_many(chunk.iter().map(|(_, _, a)| a.clone()))
            .exec_without_returning(&w.txn)
            .await?;
        let ids: HashMap<Uuid, i64> = organisation::Entity::find()
            .select_only()
            .column(organisation::Column::PublicId)
            .column(organisation::Column::Id)
            .filter(organisation::Column::PublicId.is_in(chunk.iter().map(|(_, p, _)| *p)))
            .into_tuple::<(Uuid, i64)>()
            .all(&w.txn)
            .await?
            .into_iter()
            .collect();
        for (n, p, _) in chunk {
            let id = ids.get(p).copied().ok_or_else(|| {
                AppError::Internal(
                    "an imported organisation was not found after inserting it".into(),
                )
            })?;
            org_id.insert(*n, id);
        }
    }

    // Themes, where a row gives them.
    let affected: Vec<i64> = org_id.values().copied().collect();
    let mut linked: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for chunk in affected.chunks(500) {
        for l in organisation_theme::Entity::find()
            .filter(organisation_theme::Column::OrganisationId.is_in(chunk.to_vec()))
            .all(&w.txn)
            .await?
        {
            linked
                .entry(l.organisation_id)
                .or_default()
                .insert(l.theme_id);
        }
    }
    let mut new_links = Vec::new();
    for (n, row) in &rows {
        let Some(wanted) = &row.themes else { continue };
        let id = org_id[n];
        let wanted: BTreeSet<i64> = wanted.iter().copied().collect();
        if linked.get(&id).cloned().unwrap_or_default() == wanted {
            continue;
        }
        organisation_theme::Entity::delete_many()
            .filter(organisation_theme::Column::OrganisationId.eq(id))
            .exec(&w.txn)
            .await?;
        new_links.extend(wanted.into_iter().map(|t| organisation_theme::ActiveModel {
            organisation_id: Set(id),
            theme_id: Set(t),
        }));
    }
    for chunk in new_links.chunks(1000) {
        organisation_theme::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&w.txn)
            .await?;
    }

    // Memberships of the cluster.
    let mut members: HashMap<i64, membership::Model> = HashMap::new();
    for chunk in affected.chunks(500) {
        for m in membership::Entity::find()
            .filter(membership::Column::ClusterId.eq(cluster_id))
            .filter(membership::Column::OrganisationId.is_in(chunk.to_vec()))
            .all(&w.txn)
            .await?
        {
            members.insert(m.organisation_id, m);
        }
    }
    let mut new_members = Vec::new();
    for (n, row) in &rows {
        let id = org_id[n];
        match members.get(&id) {
            Some(m) if m.role == row.role && m.since == row.since && m.until == row.until => {}
            Some(m) => {
                let draft = membership::Model {
                    role: row.role,
                    since: row.since,
                    until: row.until,
                    ..m.clone()
                };
                w.update::<membership::Entity>("Membership", m, draft, m.version, &[])
                    .await?;
                report.memberships_updated += 1;
            }
            None => {
                let public_id = Uuid::new_v4();
                new_members.push(membership::ActiveModel {
                    public_id: Set(public_id),
                    cluster_id: Set(cluster_id),
                    organisation_id: Set(id),
                    role: Set(row.role),
                    since: Set(row.since),
                    until: Set(row.until),
                    created_at: Set(now),
                    updated_at: Set(now),
                    version: Set(1),
                    ..Default::default()
                });
                audit.push(Entry {
                    operation: Operation::Create,
                    entity_type: "Membership",
                    entity_id: public_id,
                    fields: "import".to_owned(),
                });
                report.memberships_created += 1;
            }
        }
    }
    for chunk in new_members.chunks(1000) {
        membership::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&w.txn)
            .await?;
    }

    // Contacts: matched within their organisation by e-mail address, else by name.
    let mut current_contacts: HashMap<i64, Vec<contact::Model>> = HashMap::new();
    for chunk in affected.chunks(500) {
        for c in contact::Entity::find()
            .filter(contact::Column::OrganisationId.is_in(chunk.to_vec()))
            .all(&w.txn)
            .await?
        {
            current_contacts
                .entry(c.organisation_id)
                .or_default()
                .push(c);
        }
    }
    let mut new_contacts = Vec::new();
    for (n, row) in &rows {
        let id = org_id[n];
        let mine = current_contacts.get(&id).cloned().unwrap_or_default();
        for c in &row.contacts {
            let found = mine.iter().find(|m| match (&m.email, &c.email) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => m.name == c.name,
            });
            match found {
                Some(m)
                    if m.name == c.name
                        && m.role == c.role
                        && m.email == c.email
                        && m.phone == c.phone
                        && m.visibility == c.visibility => {}
                Some(m) => {
                    let draft = contact::Model {
                        name: c.name.clone(),
                        role: c.role.clone(),
                        email: c.email.clone(),
                        phone: c.phone.clone(),
                        visibility: c.visibility,
                        ..m.clone()
                    };
                    w.update::<contact::Entity>("Contact", m, draft, m.version, &[])
                        .await?;
                    report.contacts_updated += 1;
                }
                None => {
                    let public_id = Uuid::new_v4();
                    new_contacts.push(contact::ActiveModel {
                        public_id: Set(public_id),
                        organisation_id: Set(id),
                        name: Set(c.name.clone()),
                        role: Set(c.role.clone()),
                        email: Set(c.email.clone()),
                        phone: Set(c.phone.clone()),
                        visibility: Set(c.visibility),
                        created_at: Set(now),
                        updated_at: Set(now),
                        version: Set(1),
                        ..Default::default()
                    });
                    audit.push(Entry {
                        operation: Operation::Create,
                        entity_type: "Contact",
                        entity_id: public_id,
                        fields: "import".to_owned(),
                    });
                    report.contacts_created += 1;
                }
            }
        }
    }
    for chunk in new_contacts.chunks(1000) {
        contact::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&w.txn)
            .await?;
    }
    audit::record_many(&w.txn, &w.actor, audit).await?;
    for id in org_id.values() {
        w.touch(crate::services::search::index::Kind::Organisation, *id);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_match_without_scheme_www_or_slash() {
        assert_eq!(normal_site("https://www.Example.org/"), "example.org");
        assert_eq!(normal_site("http://example.org"), "example.org");
    }

    #[test]
    fn unknown_columns_are_refused() {
        let err = read(ImportFormat::Csv, "name,colour\nA,red\n");
        assert!(matches!(err, Err(AppError::BadUserInput { .. })));
    }

    #[test]
    fn json_rows_read_numbers_and_lists() {
        let rows = read(
            ImportFormat::Json,
            r#"[{"name": "A", "headcount": 12, "themes": ["health", "technology"]}]"#,
        )
        .expect("rows");
        assert_eq!(rows[0].get("headcount").as_deref(), Some("12"));
        assert_eq!(rows[0].get("themes").as_deref(), Some("health;technology"));
    }
}
