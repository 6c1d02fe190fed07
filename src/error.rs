//! The application's one error type, its stable GraphQL codes, and how internal causes are hidden.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// Every error the application reports. It deliberately has no `Display`, so that a `?` in a
/// resolver goes through [`From<AppError>`] below and never copies internal text to a client.
#[derive(Debug)]
pub enum AppError {
    /// The thing asked for does not exist (or is not visible to the caller).
    NotFound(String),
    /// The request's input is wrong; `field` names the argument or input field to fix.
    BadUserInput {
        /// What is wrong and how to fix it.
        message: String,
        /// The argument or input field at fault, when there is one.
        field: Option<String>,
    },
    /// Several input fields are wrong; each is named with what to fix.
    Invalid(Vec<FieldError>),
    /// The request conflicts with the data's current state.
    Conflict(String),
    /// The request carries no valid credentials and needs them.
    Unauthenticated(String),
    /// The caller's key may not do this.
    Forbidden(String),
    /// Something failed inside the server; logged with its chain, shown as a bare `INTERNAL`.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// One bad input field.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The input field, as a path (`input.website`).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl AppError {
    /// A `BAD_USER_INPUT` error about one field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A `NOT_FOUND` error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// The stable code clients can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Invalid(_) => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The message safe to show to a client.
    pub fn public_message(&self) -> String {
        match self {
            Self::NotFound(m)
            | Self::Conflict(m)
            | Self::Unauthenticated(m)
            | Self::Forbidden(m) => m.clone(),
            Self::Invalid(errors) => errors
                .iter()
                .map(|e| format!("`{}`: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Internal(_) => "internal server error".to_owned(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // Two writers can pass the same uniqueness check at once; the database refuses the
        // second. That is a conflict for the client, told without the database's own words.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            tracing::info!(error = %err, "unique constraint refused a write");
            return Self::Conflict(
                "another write created the same unique value (a slug, code or key) at the same time; read again and retry".to_owned(),
            );
        }
        Self::Internal(Box::new(err))
    }
}

/// Writes an error and all its sources on one line, for the log.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        if let AppError::Internal(cause) = &err {
            tracing::error!(error = %chain(cause.as_ref()), "internal error");
        }
        let code = err.code();
        let fields: Vec<(String, String)> = match &err {
            AppError::BadUserInput {
                field: Some(field),
                message,
            } => vec![(field.clone(), message.clone())],
            AppError::Invalid(errors) => errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            _ => Vec::new(),
        };
        async_graphql::Error::new(err.public_message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some((field, _)) = fields.first() {
                ext.set("field", field.as_str());
            }
            if !fields.is_empty() {
                let list: Vec<async_graphql::Value> = fields
                    .iter()
                    .map(|(field, message)| {
                        let mut entry = async_graphql::indexmap::IndexMap::new();
                        entry.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(field.as_str()),
                        );
                        entry.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(message.as_str()),
                        );
                        async_graphql::Value::Object(entry)
                    })
                    .collect();
                ext.set("fields", list);
            }
        })
    }
}

/// Results of the services and resolvers.
pub type AppResult<T> = Result<T, AppError>;
