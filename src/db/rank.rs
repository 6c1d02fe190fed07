//! `cd_rank`, the relevance of a full-text match on SQLite: an FTS5 auxiliary function,
//! registered on every connection.
//!
//! It scores as FTS5's `bm25()` does, term frequency saturated and normalised by the length of
//! each column, but over the query's words only and without their document frequencies.
//! `bm25()` learns those on its first call in each statement by visiting every document that
//! holds each phrase of the query: for a broad word in the generated data about 40,000 of them,
//! and for a filtered search every document of each facet word too, although the facets weigh
//! nothing. That pass took half the server's time of such a search. Within one tier of a search
//! every hit holds every word (see `services::search`), so what the frequencies would add is
//! which word's repetitions count for more.
//!
//! `cd_rank(search_fts, words, weight, ...)`: `words` is how many of the query's phrases, from
//! the first, are its words (facets come after them); then one weight per column, 0 for a column
//! left out of the score.

#![allow(unsafe_code)]

use libsqlite3_sys as ffi;
use std::ffi::{CStr, c_int, c_void};
use std::ptr;

/// The function's name in SQL.
const NAME: &CStr = c"cd_rank";

/// BM25's saturation of a term's frequency.
const K1: f64 = 1.2;
/// BM25's normalisation by a column's length (0: none, 1: full).
const B: f64 = 0.75;

/// Registers `cd_rank` on a new connection.
pub async fn register(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    // SAFETY: the locked handle is an open connection that its thread does not use meanwhile.
    unsafe { register_on(handle.as_raw_handle().as_ptr()) }
        .map_err(|e| sea_orm::sqlx::Error::Configuration(e.into()))
}

/// Registers `cd_rank` on the connection `db`.
///
/// # Safety
/// `db` is an open connection that nothing else uses during the call.
unsafe fn register_on(db: *mut ffi::sqlite3) -> Result<(), String> {
    // SAFETY: the caller holds the connection; `fts5_api` hands out a pointer that lives as long
    // as the connection, and the function has no user data to free.
    unsafe {
        let api = fts5_api(db)?;
        let Some(create) = (*api).xCreateFunction else {
            return Err("FTS5 offers no way to add a function".into());
        };
        let rc = create(api, NAME.as_ptr(), ptr::null_mut(), Some(cd_rank), None);
        if rc != ffi::SQLITE_OK {
            return Err(format!("adding {NAME:?} to FTS5 failed ({rc})"));
        }
    }
    Ok(())
}

/// FTS5's API of the connection, as its documentation says to get it: `SELECT fts5(?1)` with a
/// pointer to fill bound to `?1`.
unsafe fn fts5_api(db: *mut ffi::sqlite3) -> Result<*mut ffi::fts5_api, String> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
    // SAFETY: `db` is open; `stmt` is finalised on every path, and `api` outlives the statement.
    unsafe {
        let rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc != ffi::SQLITE_OK {
            return Err(format!("this SQLite has no FTS5 ({rc})"));
        }
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
    }
    if api.is_null() {
        return Err("FTS5 handed out no API".into());
    }
    Ok(api)
}

/// What a statement's calls share: each column's average length in tokens.
struct Averages(Vec<f64>);

unsafe extern "C" fn free_averages(p: *mut c_void) {
    // SAFETY: set by `averages` from a `Box<Averages>`, freed once by FTS5.
    drop(unsafe { Box::from_raw(p.cast::<Averages>()) });
}

/// The columns' average lengths, found on the statement's first call and kept for the others.
unsafe fn averages<'a>(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
) -> Result<&'a Averages, c_int> {
    // SAFETY: FTS5 keeps the pointer set here until the statement ends; every call of one
    // statement runs on its connection's thread, one at a time.
    unsafe {
        let get = api.xGetAuxdata.ok_or(ffi::SQLITE_ERROR)?;
        let kept = get(fts, 0).cast::<Averages>();
        if !kept.is_null() {
            return Ok(&*kept);
        }
        let columns = api.xColumnCount.ok_or(ffi::SQLITE_ERROR)?(fts);
        let mut rows: ffi::sqlite3_int64 = 0;
        check(api.xRowCount.ok_or(ffi::SQLITE_ERROR)?(fts, &mut rows))?;
        let mut lengths = Vec::with_capacity(columns.max(0) as usize);
        for c in 0..columns {
            let mut tokens: ffi::sqlite3_int64 = 0;
            check(api.xColumnTotalSize.ok_or(ffi::SQLITE_ERROR)?(
                fts,
                c,
                &mut tokens,
            ))?;
            lengths.push(if rows > 0 {
                tokens as f64 / rows as f64
            } else {
                0.0
            });
        }
        let boxed = Box::into_raw(Box::new(Averages(lengths)));
        check(api.xSetAuxdata.ok_or(ffi::SQLITE_ERROR)?(
            fts,
            boxed.cast::<c_void>(),
            Some(free_averages),
        ))?;
        Ok(&*boxed)
    }
}

fn check(rc: c_int) -> Result<(), c_int> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rc)
    }
}

/// BM25's part for one word in one column: `tf` occurrences in a column of `len` tokens whose
/// average is `avg`.
pub fn saturated(tf: f64, len: f64, avg: f64) -> f64 {
    if tf == 0.0 {
        return 0.0;
    }
    let norm = if avg > 0.0 { len / avg } else { 1.0 };
    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * norm))
}

unsafe extern "C" fn cd_rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls this with its API, the row's context and `n` arguments.
    unsafe {
        let args: &[*mut ffi::sqlite3_value] = if n > 0 {
            std::slice::from_raw_parts(args, n as usize)
        } else {
            &[]
        };
        match score(&*api, fts, args) {
            Ok(s) => ffi::sqlite3_result_double(ctx, s),
            Err(rc) => ffi::sqlite3_result_error_code(ctx, rc),
        }
    }
}

unsafe fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    args: &[*mut ffi::sqlite3_value],
) -> Result<f64, c_int> {
    let Some((words, weights)) = args.split_first() else {
        return Err(ffi::SQLITE_MISUSE);
    };
    // SAFETY: the values are the call's own arguments; the API's functions are called with the
    // row's context, as FTS5 asks.
    unsafe {
        let phrases = api.xPhraseCount.ok_or(ffi::SQLITE_ERROR)?(fts);
        let words = ffi::sqlite3_value_int(*words).clamp(0, phrases);
        let weights: Vec<f64> = weights
            .iter()
            .map(|v| ffi::sqlite3_value_double(*v))
            .collect();
        let averages = averages(api, fts)?;
        let mut lengths = vec![0.0; weights.len()];
        for (c, w) in weights.iter().enumerate() {
            if *w != 0.0 {
                let mut len: c_int = 0;
                check(api.xColumnSize.ok_or(ffi::SQLITE_ERROR)?(
                    fts, c as c_int, &mut len,
                ))?;
                lengths[c] = f64::from(len);
            }
        }
        let first = api.xPhraseFirst.ok_or(ffi::SQLITE_ERROR)?;
        let next = api.xPhraseNext.ok_or(ffi::SQLITE_ERROR)?;
        let mut total = 0.0;
        let mut counts = vec![0u32; weights.len()];
        for p in 0..words {
            counts.iter_mut().for_each(|c| *c = 0);
            let mut iter = ffi::Fts5PhraseIter {
                a: ptr::null(),
                b: ptr::null(),
            };
            let (mut col, mut off): (c_int, c_int) = (0, 0);
            check(first(fts, p, &mut iter, &mut col, &mut off))?;
            while col >= 0 {
                if let Some(n) = counts.get_mut(col as usize) {
                    *n += 1;
                }
                next(fts, &mut iter, &mut col, &mut off);
            }
            for (c, w) in weights.iter().enumerate() {
                let avg = averages.0.get(c).copied().unwrap_or(0.0);
                total += w * saturated(f64::from(counts[c]), lengths[c], avg);
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::saturated;

    #[test]
    fn more_occurrences_score_more_and_longer_columns_less() {
        assert_eq!(saturated(0.0, 5.0, 5.0), 0.0);
        assert!(saturated(2.0, 5.0, 5.0) > saturated(1.0, 5.0, 5.0));
        assert!(saturated(1.0, 3.0, 5.0) > saturated(1.0, 10.0, 5.0));
        // Saturated: never more than k1 + 1 for one word in one column.
        assert!(saturated(1000.0, 5.0, 5.0) < 2.2 + 1e-9);
        // A column of average length scores tf (k1 + 1) / (tf + k1).
        assert!((saturated(1.0, 5.0, 5.0) - 1.0).abs() < 1e-12);
    }
}
