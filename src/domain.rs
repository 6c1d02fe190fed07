//! The directory's closed vocabularies: kinds, roles, classes and statuses, stored as snake_case
//! strings and exposed as GraphQL enums.

use sea_orm::entity::prelude::*;

/// Declares a vocabulary once for the database (as snake_case text) and for GraphQL.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum, serde::Deserialize, serde::Serialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::db::decode::Placeholder for $name {
            fn placeholder() -> Self {
                [$(Self::$variant),+][0]
            }
        }
    };
}

vocabulary! {
    /// What kind of cluster organisation this is.
    ClusterKind {
        /// A long-term (about ten years) strategic cluster, such as Flanders' spearhead clusters.
        SpearheadCluster,
        /// A short-term (about three years) network of companies around a shared project.
        InnovativeBusinessNetwork,
        /// An open regional innovation network of companies, knowledge institutions and authorities.
        OpenInnovationCluster,
        /// Any other form of cluster organisation.
        Other,
    }
}

vocabulary! {
    /// The level of a cluster-management excellence label (ESCA/EUCLES).
    LabelLevel {
        /// Bronze label: commitment to cluster-management excellence.
        Bronze,
        /// Silver label: advanced cluster management.
        Silver,
        /// Gold label: cluster-management excellence.
        Gold,
    }
}

vocabulary! {
    /// The organisation's place in the quadruple helix.
    OrganisationType {
        /// A small or medium-sized enterprise by the EU definition.
        Sme,
        /// A company larger than the EU SME thresholds.
        LargeCompany,
        /// A young company building a new product or market.
        StartUp,
        /// A research or knowledge institution other than a university.
        KnowledgeInstitution,
        /// A university or university of applied sciences.
        University,
        /// A living lab where sport and vitality innovations are tested in practice.
        SportFieldLab,
        /// A municipality, province, region, state agency or other public body.
        PublicAuthority,
        /// A sports club.
        SportsClub,
        /// A sports federation or association.
        SportsFederation,
        /// A network or platform of organisations, such as EPSI.
        Network,
        /// Any other organisation.
        Other,
    }
}

vocabulary! {
    /// EU enterprise size class (Recommendation 2003/361/EC).
    SizeClass {
        /// Fewer than 10 staff and turnover or balance sheet up to EUR 2 million.
        Micro,
        /// Fewer than 50 staff and turnover or balance sheet up to EUR 10 million.
        Small,
        /// Fewer than 250 staff, turnover up to EUR 50 million or balance sheet up to EUR 43 million.
        Medium,
        /// Above the medium thresholds.
        Large,
    }
}

vocabulary! {
    /// The role an organisation has in a cluster.
    MembershipRole {
        /// An ordinary member.
        Member,
        /// A member since the cluster was founded.
        FoundingMember,
        /// A member of the cluster's board.
        Board,
        /// A knowledge institution partnering with the cluster.
        KnowledgePartner,
        /// A SportFieldLab (living lab) of the cluster.
        SportFieldLab,
        /// The organisation that manages the cluster.
        ManagingOrganisation,
    }
}

vocabulary! {
    /// Who may see a contact person's details (GDPR).
    Visibility {
        /// Everyone, including anonymous visitors.
        Public,
        /// Members of the contact's clusters and those above them.
        Members,
        /// Only the cluster's managers, the region's stewards and administrators.
        Private,
    }
}

vocabulary! {
    /// Where a collaboration stands.
    CollaborationStatus {
        /// Agreed but not started.
        Planned,
        /// Running.
        Active,
        /// Finished.
        Completed,
        /// Stopped before its end.
        Cancelled,
    }
}

vocabulary! {
    /// A participant's role in a collaboration.
    ParticipantRole {
        /// The lead partner, who coordinates the collaboration.
        Lead,
        /// A full partner.
        Partner,
        /// An advisory partner.
        Advisory,
        /// An associated organisation.
        Associate,
    }
}

vocabulary! {
    /// The format of an event.
    EventFormat {
        /// B2B matchmaking between companies of different clusters.
        #[graphql(name = "B2B_MATCHMAKING")]
        B2bMatchmaking,
        /// A visit to companies or stakeholders.
        CompanyVisit,
        /// A networking event.
        NetworkEvent,
        /// A session of a learning network.
        LearningNetwork,
        /// A conference.
        Conference,
        /// An online seminar.
        Webinar,
        /// A hands-on workshop.
        Workshop,
        /// Any other format.
        Other,
    }
}

vocabulary! {
    /// Whether an event takes place as planned.
    EventStatus {
        /// Takes place as planned.
        Scheduled,
        /// Moved to a later date not yet fixed.
        Postponed,
        /// Will not take place; stays listed, marked as cancelled.
        Cancelled,
    }
}

vocabulary! {
    /// The Enterprise Europe Network kinds of offers and needs.
    OfferNeedKind {
        /// A company offers a product or service.
        BusinessOffer,
        /// A company looks for a product, service or partner.
        BusinessRequest,
        /// A company offers a technology.
        TechnologyOffer,
        /// A company looks for a technology.
        TechnologyRequest,
        /// A company looks for research and development partners.
        ResearchRequest,
    }
}

impl OfferNeedKind {
    /// Whether this kind offers something (rather than asks for it).
    pub fn is_offer(self) -> bool {
        matches!(self, Self::BusinessOffer | Self::TechnologyOffer)
    }
}

vocabulary! {
    /// The topic of a state-of-affairs indicator.
    IndicatorTopic {
        /// Small and medium-sized enterprises in the region.
        Smes,
        /// Digitalisation.
        Digitalisation,
        /// Sustainability.
        Sustainability,
        /// Low-carbon products and services.
        LowCarbon,
        /// Any other topic.
        Other,
    }
}

vocabulary! {
    /// The direction an indicator is moving in.
    Trend {
        /// Going up.
        Rising,
        /// Staying about the same.
        Stable,
        /// Going down.
        Falling,
    }
}

vocabulary! {
    /// What an API key may do.
    Role {
        /// Everything, including keys and themes.
        Admin,
        /// Clusters and organisations in one region (a NUTS code) and below, and everything they own.
        Steward,
        /// One cluster: its profile, labels, memberships, member organisations and their contacts,
        /// events, offers and needs of its members, indicators, KPIs and the collaborations it leads.
        ClusterManager,
        /// Read-only access for platforms that pull data.
        Reader,
    }
}

vocabulary! {
    /// A language texts are written in (ISO 639-1 code).
    Language {
        /// English, the language every text falls back to.
        En,
        /// Dutch.
        Nl,
        /// French.
        Fr,
        /// Spanish.
        Es,
        /// Catalan.
        Ca,
        /// Hungarian.
        Hu,
        /// Finnish.
        Fi,
        /// Polish.
        Pl,
        /// German.
        De,
        /// Italian.
        It,
        /// Portuguese.
        Pt,
        /// Swedish.
        Sv,
        /// Danish.
        Da,
    }
}

impl Language {
    /// Every language, in declaration order.
    pub const ALL: [Language; 13] = [
        Self::En,
        Self::Nl,
        Self::Fr,
        Self::Es,
        Self::Ca,
        Self::Hu,
        Self::Fi,
        Self::Pl,
        Self::De,
        Self::It,
        Self::Pt,
        Self::Sv,
        Self::Da,
    ];

    /// The ISO 639-1 code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nl => "nl",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::Ca => "ca",
            Self::Hu => "hu",
            Self::Fi => "fi",
            Self::Pl => "pl",
            Self::De => "de",
            Self::It => "it",
            Self::Pt => "pt",
            Self::Sv => "sv",
            Self::Da => "da",
        }
    }

    /// The language of a code or language tag (`fr`, `fr-BE`, `FR`), if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }
}

#[cfg(test)]
mod language_tests {
    use super::Language;

    #[test]
    fn language_tags_name_their_primary_language() {
        assert_eq!(Language::from_tag("fr-BE"), Some(Language::Fr));
        assert_eq!(Language::from_tag("NL"), Some(Language::Nl));
        assert_eq!(Language::from_tag("ca_ES"), Some(Language::Ca));
        assert_eq!(Language::from_tag("ja"), None);
        assert_eq!(Language::from_tag(""), None);
    }
}
