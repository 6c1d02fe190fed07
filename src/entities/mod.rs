//! SeaORM entities, one file per table.

pub mod api_key;
pub mod audit_entry;
pub mod cluster;
pub mod cluster_label;
pub mod cluster_theme;
pub mod collaboration;
pub mod collaboration_theme;
pub mod contact;
pub mod event;
pub mod event_organiser;
pub mod event_theme;
pub mod indicator;
pub mod interest;
pub mod kpi;
pub mod membership;
pub mod offer_need;
pub mod offer_need_theme;
pub mod organisation;
pub mod organisation_theme;
pub mod participant;
pub mod region;
pub mod theme;

// Every model a list reads, read by position (see `crate::db::decode`).
crate::decode_by_position! {
    cluster::Model {
        id;
        description, year_established, website, email, region_id, managing_organisation_id,
        innovation_turnover_eur;
        public_id, slug, name, kind, country_code, created_at, updated_at, version,
        text_language
    }
    organisation::Model {
        id;
        size_class, headcount, nace_codes, nace_version, region_id, city, website, description,
        external_id;
        public_id, slug, name, org_type, country_code, created_at, updated_at, version,
        text_language
    }
    membership::Model {
        id;
        since, until;
        public_id, cluster_id, organisation_id, role, created_at, updated_at, version
    }
    region::Model {
        id;
        parent_id;
        public_id, code, name, level, country_code, created_at, updated_at, version
    }
    theme::Model {
        id;
        description;
        public_id, slug, name, core, created_at, updated_at, version
    }
    event::Model {
        id;
        description, venue, city, country_code, online_url, language, registration_url;
        public_id, slug, title, format, starts_at, ends_at, time_zone, status, created_at,
        updated_at, version, text_language
    }
    offer_need::Model {
        id, public_id, organisation_id, kind, title, created_at, updated_at, version, text_language;
        description, valid_until, target_countries
    }
    collaboration::Model {
        id, public_id, slug, name, programme, status, created_at, updated_at, version,
        text_language;
        description, starts_on, ends_on, budget_eur, website
    }
    participant::Model {
        id, public_id, collaboration_id, organisation_id, role, created_at, updated_at, version;
        cluster_id
    }
    audit_entry::Model {
        id, public_id, at, role, operation, entity_type, entity_id, fields;
        key_id, request_id
    }
    cluster_label::Model {
        id, public_id, cluster_id, issuer, level, awarded_on, created_at, updated_at, version;
        expires_on
    }
    contact::Model {
        id, public_id, organisation_id, name, visibility, created_at, updated_at, version;
        role, email, phone
    }
    event_organiser::Model {
        id, public_id, event_id, created_at, updated_at, version;
        cluster_id, collaboration_id, organisation_id
    }
    indicator::Model {
        id, public_id, cluster_id, year, topic, key, created_at, updated_at, version;
        value, unit, trend, goal, source
    }
    kpi::Model {
        id, public_id, name, period_start, period_end, created_at, updated_at, version;
        cluster_id, collaboration_id, target, actual, unit
    }
    interest::Model {
        id, public_id, offer_need_id, organisation_id, created_at, updated_at, version;
        message
    }
}
