/* show-file.h - the show file: the run of show (直播脚本) as the operator
 * prepares it.
 *
 * A show file (an INI file, see overlays/README.md and the example in
 * overlays/examples/) lists the show's blocks in running order: [opening],
 * [product ID] (name, price, original price, selling points, coupon, stock,
 * flash-sale length, image), [interaction NAME], [offer NAME] (a limited-time
 * offer on a product), [closing]; [show] gives its title, host, theme and
 * pace. It is checked as strictly as shopcastd's config: a bad field is an
 * error naming the file, the block and the field. The file is read once
 * into an ScShowFile, which show.h's ScShow then runs on air.
 *
 * The show's error domain (SC_SHOW_ERROR) lives here and is shared with
 * show.h: a file's errors are SC_SHOW_ERROR_FILE.
 *
 * Main thread only.
 */
#pragma once

#include "overlays/money.h"

G_BEGIN_DECLS

#define SC_SHOW_ERROR (sc_show_error_quark())
GQuark sc_show_error_quark(void);

typedef enum {
  SC_SHOW_ERROR_FILE,     /* the show file: unreadable, malformed, a bad field */
  SC_SHOW_ERROR_ARGUMENT, /* an action's argument: unknown product, bad price, ... */
  SC_SHOW_ERROR_RULE,     /* an honest-pricing rule: original <= price, restarting an offer */
  SC_SHOW_ERROR_TOO_FAST, /* within the minimum interval of the last change */
  SC_SHOW_ERROR_STATE,    /* not possible now: no product on air, no flash sale running */
} ScShowError;

#define SC_SHOW_MAX_POINTS 3
/* A name (a product's, the show's title, a person's on the lower third), in
 * characters; drawn ellipsized when wider than the card. */
#define SC_SHOW_MAX_NAME_CHARS 120
/* Stock and coupon quantities. */
#define SC_SHOW_MAX_QUANTITY 1000000

/* The theme of a show that sets none ([show] accent and font). */
#define SC_SHOW_DEFAULT_ACCENT 0xE8231Fu /* a live-commerce red */
#define SC_SHOW_DEFAULT_FONT   "Noto Sans CJK SC"

typedef struct {
  char *id; /* from [product ID] */
  char *name;
  ScFen price;                          /* the price now */
  ScFen original_price;                 /* 0: none shown */
  char *points[SC_SHOW_MAX_POINTS + 1]; /* selling points, NULL-terminated */
  char *image;                          /* absolute path of a readable PNG, or NULL */
  /* coupon: 满 threshold 减 value, or percent (折扣 85 = 8.5折); none when both 0 */
  ScFen coupon_threshold, coupon_value;
  guint coupon_percent;
  guint coupon_quantity; /* 0: not shown */
  gint stock;            /* -1: not set */
  guint flash_sale_s;    /* 0: no flash sale */
} ScProduct;

typedef enum {
  SC_BLOCK_OPENING,
  SC_BLOCK_PRODUCT,
  SC_BLOCK_INTERACTION,
  SC_BLOCK_OFFER,
  SC_BLOCK_CLOSING,
} ScBlockKind;

typedef struct {
  ScBlockKind kind;
  char *name;    /* [interaction NAME], [offer NAME], the product's id */
  char *product; /* PRODUCT and OFFER: the product's id */
  char *note;    /* what the block is about, for the host */
} ScBlock;

typedef struct {
  char *path;
  char *title;           /* the show's title (opening card) */
  char *host;            /* the host's name (lower third) */
  char *closing_note;    /* "关注店铺, 下次直播 ..." */
  char *logo;            /* absolute path of a readable PNG, or NULL */
  guint32 accent;        /* 0xRRGGBB, the graphics' accent colour: SC_SHOW_DEFAULT_ACCENT */
  char *font;            /* an installed font family: SC_SHOW_DEFAULT_FONT */
  guint min_interval_ms; /* changes on air at most this often */
  guint explain_limit_s; /* the per-product explanation warning (480) */
  GPtrArray *products;   /* ScProduct*, in file order */
  GPtrArray *blocks;     /* ScBlock*, in running order */
} ScShowFile;

/* Reads and checks a show file; relative image paths are taken from its
 * folder. Images (the logo, products' images) must be PNG files that can be
 * read; a font must be a family the system's fonts (fontconfig, through
 * Pango) have. */
ScShowFile *sc_show_file_load(const char *path, GError **error) G_GNUC_WARN_UNUSED_RESULT;
void sc_show_file_free(ScShowFile *file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ScShowFile, sc_show_file_free)

G_END_DECLS
