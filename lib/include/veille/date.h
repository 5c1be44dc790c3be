#ifndef VEILLE_DATE_H
#define VEILLE_DATE_H
/* Dates as feeds and pages write them, read without locale or strptime and
 * written back as ISO 8601. Only mechanism: what is plausible (not before
 * 1990, not in the future) is the caller's policy. See
 * docs/internals/DATE.md. Every function is pure: any thread. */
#include <stdbool.h>
#include <stdint.h>
#include "veille/err.h"

#define VL_DATE_LEN 32 /* room for any vl_date_format() or vl_date_iso() */

/** A date as read: the civil date and time as written, and what the text
 * gave. A time without zone is local to somewhere unknown. */
struct vl_date {
        int year, mon, day;   /* 1000..9999, 1..12, 1..31 */
        int hour, min, sec;   /* 0 when !has_time; 24:00 is the next day's
                               * 0:00 and a leap second is :59 */
        int off_min;          /* minutes east of UTC; 0 when !has_zone */
        bool has_time;
        bool has_zone;
};

enum vl_date_flags {
        /** Also find a date among other words ("Publié le 12 mars 2024 à
         * 10h05"), French and English month names in any order, am/pm,
         * numeric dates read day first ("12/03/2024"); what follows an
         * ISO 8601 date is ignored. Without it the whole string must be
         * one date. */
        VL_DATE_LOOSE = 1 << 0,
};

/**
 * @brief Read a date. Always understood, the whole string being the date
 * (leading and trailing white space aside): ISO 8601 / RFC 3339 and their
 * common variants ("2024-03-12T10:05:00.123+01:00", "2024-03-12 10:05",
 * "2024/03/12", zones as "Z", "+01", "+0100", "+01:00", "UTC", "CET",
 * "UTC+1"); RFC 822/1123 as feeds write it ("Tue, 10 Jun 2003 04:00:00 GMT",
 * day name optional, 2-digit years, '-' between the parts, zone names or
 * offsets or none, a trailing "(comment)"); Unix times of 10 digits
 * (seconds) or 13 (milliseconds). @p flags may widen this (VL_DATE_LOOSE).
 * Strings of 128 bytes or more are refused.
 * @param dt filled on success.
 * @param err may be NULL.
 * @returns VL_OK, or VL_REJECT when @p s (NULL included) is not a valid
 * date.
 */
enum vl_rc vl_date_parse(const char *s, enum vl_date_flags flags,
                         struct vl_date *dt, struct vl_err *err);
/** @returns the seconds since the epoch of @p dt; a date without a zone is
 * taken as UTC, a date without a time as its midnight. */
int64_t vl_date_epoch(const struct vl_date *dt);
/** @brief Write @p t (seconds since the epoch) as ISO 8601 UTC,
 * "2003-06-10T04:00:00Z". */
void vl_date_format(int64_t t, char out[VL_DATE_LEN]);
/** @brief Write @p dt as ISO 8601 as precise as it was read: in UTC when
 * the zone is known ("2024-03-12T09:05:00Z"), as written when not
 * ("2024-03-12T10:05:00"), the date alone when there was no time
 * ("2024-03-12"). */
void vl_date_iso(const struct vl_date *dt, char out[VL_DATE_LEN]);

#endif
