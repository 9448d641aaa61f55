/* chapters.h - a show's chapters, from its on-air audit log (overlays/audit.h):
 * which product was on air when, the flash sales, the coupons shown and the
 * price corrections, in the show's time (the recording's timestamps).
 *
 * A product's chapter runs from the first frame that showed its card to the
 * next product's, the closing card, or the end of the show. A flash sale runs
 * from its countdown's first frame to its end (flash-ended, flash-stop), a
 * coupon from coupon-show to coupon-hide; either also ends with the product.
 * A price correction is a moment (start = end).
 *
 * Show time: an entry's stream_ms minus the stream time of the show's first
 * recorded frame; without a recording, its wall-clock time minus the show's
 * start. Pure functions; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SC_CHAPTER_PRODUCT,
  SC_CHAPTER_FLASH_SALE,
  SC_CHAPTER_COUPON,
  SC_CHAPTER_PRICE_CORRECTION,
} ScChapterKind;

typedef struct {
  ScChapterKind kind;
  char *id;    /* the product's id */
  char *title; /* the product's name; for a price correction "¥was -> ¥price" */
  guint64 start_ms, end_ms;
} ScChapter;

typedef struct {
  gint64 start_us;        /* the show's start, wall clock */
  gint64 first_stream_ms; /* stream time at show time 0; -1: none (use wall clock) */
  guint64 duration_ms;    /* the show's length: open chapters end there */
  const char *product_id; /* on air when the show started, or NULL */
  const char *product_name;
} ScChapterShow;

/* The chapters of the show's audit lines (@audit: JSON lines, as the audit
 * log has them; lines that do not parse are skipped), sorted by start. */
GPtrArray *sc_chapters_from_audit(const char *audit, const ScChapterShow *show);

/* The same, for a show on air: its audit lines are read as they come and
 * only the entries that make or end a chapter are kept, in a few dozen bytes
 * each, so the show's audit text need not be. One thread at a time. */
typedef struct _ScChapterLog ScChapterLog;
ScChapterLog *sc_chapter_log_new(void);
void sc_chapter_log_free(ScChapterLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScChapterLog, sc_chapter_log_free)
/* Reads @len bytes of complete audit lines. */
void sc_chapter_log_add(ScChapterLog *log, const char *lines, gsize len);
/* The chapters of the lines read so far, sorted by start. */
GPtrArray *sc_chapter_log_get_chapters(ScChapterLog *log, const ScChapterShow *show);

/* Chapter marks for a player (what the recording embeds): a mark at each
 * product chapter ("羽绒服"), at each flash sale ("秒杀 · 羽绒服") and where
 * the product resumes after it. Returns ScChapterMark, sorted. */
typedef struct {
  guint64 start_ms;
  char *title;
} ScChapterMark;
GArray *sc_chapters_marks(GPtrArray *chapters);

const char *sc_chapter_kind_name(ScChapterKind kind);

/* [{"kind":"product","id":"down-jacket","title":"羽绒服","start_ms":0,"end_ms":61000},...] */
char *sc_chapters_to_json(GPtrArray *chapters);
/* Back from sc_chapters_to_json's text. */
GPtrArray *sc_chapters_from_json(const char *json, GError **error);
/* FFmpeg's metadata file (;FFMETADATA1), one [CHAPTER] a mark:
 * `ffmpeg -i segment-001.mkv -i chapters.ffmeta -map_metadata 1 -codec copy out.mkv`. */
char *sc_chapters_to_ffmetadata(GArray *marks, guint64 duration_ms);

void sc_chapter_free(ScChapter *chapter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScChapter, sc_chapter_free)

G_END_DECLS
