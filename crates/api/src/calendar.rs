//! Java's `GregorianCalendar` in UTC, as `SimpleDateFormat` uses it: Julian before the Gregorian
//! cutover of 1582-10-15 (-12219292800000 ms), Gregorian from it, with astronomical year numbers
//! (year 0 is 1 BC); and its lenient field arithmetic (`computeTime`), where a field out of range
//! rolls over into the next one (month 13 is January of the next year, day 0 the last day of the
//! month before, hour 24 the next day).
//!
//! Days are counted from 1970-01-01 (negative before).

/// The first Gregorian day, 1582-10-15 (the day after Julian 1582-10-04).
pub const CUTOVER_DAY: i64 = -141_427;
const CUTOVER_YEAR: i32 = 1582;
pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// Days of a proleptic Gregorian date; `month` is 1..=12, `day` may be any day of the month.
fn gregorian_days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Days of a proleptic Julian date; `month` is 1..=12, `day` may be any day of the month.
fn julian_days(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(4);
    let yoe = y - era * 4;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    era * 1461 + yoe * 365 + doy - 719_470
}

/// The (year, month, day) of a day count: Gregorian from the cutover, Julian before.
fn ymd(days: i64) -> (i64, u32, u32) {
    let (z, era_days, era_years) = if days >= CUTOVER_DAY {
        (days + 719_468, 146_097, 400)
    } else {
        (days + 719_470, 1461, 4)
    };
    let era = z.div_euclid(era_days);
    let doe = z - era * era_days;
    let yoe = if era_years == 400 {
        (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    } else {
        (doe - doe / 1460) / 365
    };
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * era_years + i64::from(m <= 2), m, d)
}

/// A day as `GregorianCalendar` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// The year of the era (1 BC is 1, as `SimpleDateFormat`'s `y` writes it).
    pub year_of_era: i64,
    pub month: u32,
    pub day: u32,
    /// 1 on January 1st; in 1582 counted from the Julian January 1st, so that 1582-10-15 is 278.
    pub day_of_year: i64,
    /// `Calendar.DAY_OF_WEEK`: 1 for Sunday to 7 for Saturday.
    pub day_of_week: i64,
}

impl Day {
    pub fn of(days: i64) -> Day {
        let (year, month, day) = ymd(days);
        let jan1 = if days >= CUTOVER_DAY && year != i64::from(CUTOVER_YEAR) {
            gregorian_days(year, 1, 1)
        } else {
            julian_days(year, 1, 1)
        };
        Day {
            year_of_era: if year <= 0 { 1 - year } else { year },
            month,
            day,
            day_of_year: days - jan1 + 1,
            day_of_week: weekday(days),
        }
    }
}

/// `Calendar.DAY_OF_WEEK` of a day: 1 for Sunday to 7 for Saturday (1970-01-01 was a Thursday).
pub fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7) + 1
}

/// Which fields name the day, as `Calendar.selectFields` chose them. Months count from 0 and any
/// value rolls over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaySpec {
    /// `MONTH` and `DAY_OF_MONTH` (1 when not set).
    MonthDay { month: i32, day: i32 },
    /// `MONTH` and `DAY_OF_WEEK` alone: that weekday's first day in the month.
    MonthWeekday { month: i32, weekday: i32 },
    /// `DAY_OF_YEAR`.
    YearDay(i32),
}

/// `GregorianCalendar.getFixedDate` in one of the two calendars.
fn day_in(gregorian: bool, year: i32, spec: DaySpec) -> i64 {
    let start = |year: i32, month: i32| {
        // Months past December or before January move the year, in Java's int arithmetic.
        let y = i64::from(year.wrapping_add(month.div_euclid(12)));
        let m = i64::from(month.rem_euclid(12)) + 1;
        if gregorian {
            gregorian_days(y, m, 1)
        } else {
            julian_days(y, m, 1)
        }
    };
    match spec {
        DaySpec::MonthDay { month, day } => start(year, month) + i64::from(day) - 1,
        DaySpec::MonthWeekday { month, weekday } => {
            weekday_on_or_before(start(year, month) + 6, weekday)
        }
        DaySpec::YearDay(day) => start(year, 0) + i64::from(day) - 1,
    }
}

/// The latest day on or before `days` that is a `weekday` (1 Sunday .. 7 Saturday; other values
/// count on modulo 7, as `BaseCalendar.getDayOfWeekDateOnOrBefore`).
fn weekday_on_or_before(days: i64, weekday: i32) -> i64 {
    // `dayOfWeek - 1` is int arithmetic in Java, wrapping at Integer.MIN_VALUE.
    days - (days + 4 - i64::from(weekday.wrapping_sub(1))).rem_euclid(7)
}

/// The day count the fields give, plus `extra` days (from a time of day past 24 hours or before
/// 0), choosing Julian or Gregorian as `GregorianCalendar.computeTime` does in lenient mode.
pub fn resolve_day(year: i32, spec: DaySpec, extra: i64) -> i64 {
    let gregorian = || extra + day_in(true, year, spec);
    let julian = || extra + day_in(false, year, spec);
    let (gfd, jfd) = match year.cmp(&CUTOVER_YEAR) {
        std::cmp::Ordering::Greater => {
            let gfd = gregorian();
            if gfd >= CUTOVER_DAY {
                return gfd;
            }
            (gfd, julian())
        }
        std::cmp::Ordering::Less => {
            let jfd = julian();
            if jfd < CUTOVER_DAY {
                return jfd;
            }
            (jfd, jfd)
        }
        std::cmp::Ordering::Equal => {
            let jfd = julian();
            if matches!(spec, DaySpec::YearDay(_)) {
                return jfd;
            }
            (gregorian(), jfd)
        }
    };
    if gfd >= CUTOVER_DAY {
        gfd
    } else {
        jfd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_calendars_meet_at_the_cutover() {
        assert_eq!(gregorian_days(1970, 1, 1), 0);
        assert_eq!(gregorian_days(1582, 10, 15), CUTOVER_DAY);
        assert_eq!(julian_days(1582, 10, 5), CUTOVER_DAY);
        assert_eq!(julian_days(1582, 10, 4), CUTOVER_DAY - 1);
        assert_eq!(ymd(CUTOVER_DAY), (1582, 10, 15));
        assert_eq!(ymd(CUTOVER_DAY - 1), (1582, 10, 4));
        for days in [-800_000, -141_500, -1, 0, 59, 20_000, 3_000_000] {
            let (y, m, d) = ymd(days);
            let back = if days >= CUTOVER_DAY {
                gregorian_days(y, i64::from(m), i64::from(d))
            } else {
                julian_days(y, i64::from(m), i64::from(d))
            };
            assert_eq!(back, days);
        }
    }

    #[test]
    fn days_as_java_shows_them() {
        // Java: 1582-10-15 is day 278 of 1582 (after Julian 1582-10-04, day 277).
        let day = Day::of(CUTOVER_DAY);
        assert_eq!(
            (day.year_of_era, day.month, day.day, day.day_of_year),
            (1582, 10, 15, 278)
        );
        assert_eq!(Day::of(CUTOVER_DAY - 1).day_of_year, 277);
        // -62135769600000 ms: 0001-01-01 (Julian), a Saturday.
        let day = Day::of(-62_135_769_600_000 / MILLIS_PER_DAY);
        assert_eq!((day.year_of_era, day.month, day.day), (1, 1, 1));
        assert_eq!(day.day_of_week, 7);
        // -62198755200000 ms: 2 BC (astronomical -1), January 3rd.
        let day = Day::of(-62_198_755_200_000 / MILLIS_PER_DAY);
        assert_eq!(
            (day.year_of_era, day.month, day.day, day.day_of_year),
            (2, 1, 3, 3)
        );
    }

    #[test]
    fn lenient_fields_resolve_as_in_java() {
        let md = |month, day| DaySpec::MonthDay { month, day };
        // 1500-06-15 is Julian: -171489 days (Java's -14816606400000 ms at noon).
        assert_eq!(resolve_day(1500, md(5, 15), 0), -171_489);
        // Julian 1582-10-10 does not exist as such: Java takes the Julian count, 1582-10-20.
        assert_eq!(resolve_day(1582, md(9, 10), 0), CUTOVER_DAY + 5);
        // Julian 1582-10-04 plus a day (hour 24) is the cutover.
        assert_eq!(resolve_day(1582, md(9, 4), 1), CUTOVER_DAY);
        // Month 13 of 2024 is January 2025; day 30 of February 2024 is March 1st.
        assert_eq!(resolve_day(2024, md(12, 1), 0), gregorian_days(2025, 1, 1));
        assert_eq!(resolve_day(2024, md(1, 30), 0), gregorian_days(2024, 3, 1));
        assert_eq!(resolve_day(2024, md(-1, 1), 0), gregorian_days(2023, 12, 1));
        // The first Wednesday of May 2024 is May 1st; of January 2024 the 3rd.
        let wd = |month, weekday| DaySpec::MonthWeekday { month, weekday };
        assert_eq!(resolve_day(2024, wd(4, 4), 0), gregorian_days(2024, 5, 1));
        assert_eq!(resolve_day(2024, wd(0, 4), 0), gregorian_days(2024, 1, 3));
        // Day 300 of 1582 counts Julian days from January 1st: 1582-11-06.
        assert_eq!(
            resolve_day(1582, DaySpec::YearDay(300), 0),
            gregorian_days(1582, 11, 6)
        );
        assert_eq!(resolve_day(1582, DaySpec::YearDay(278), 0), CUTOVER_DAY);
        // Years 0 and -5 (1 BC, 6 BC): Java's -62167392000000 and -62325158400000 ms.
        assert_eq!(
            resolve_day(0, md(0, 1), 0) * MILLIS_PER_DAY,
            -62_167_392_000_000
        );
        assert_eq!(
            resolve_day(-5, md(0, 1), 0) * MILLIS_PER_DAY,
            -62_325_158_400_000
        );
    }
}
