/* i18n.js - every string of the panel, in Simplified Chinese (the default)
 * and English. index.html marks text with data-i18n="key" (textContent),
 * data-i18n-placeholder, data-i18n-title and data-i18n-aria; app.js calls
 * ScI18n.t("key", {name: value}) for text it builds. The choice is kept in
 * localStorage under "shopcast.lang". */
"use strict";

(function () {
  const STRINGS = {
    zh: {
      "app.title": "shopcast 直播控制台",
      "lang.toggle": "English",
      "lang.toggle.title": "Switch to English",
      "conn.online": "已连接",
      "conn.offline": "连接中断，重连中…",
      "conn.connecting": "连接中…",
      "who.operator": "助播",
      "who.technician": "技术",
      "logout": "退出",

      "setup.title": "首次启动：设置技术密码",
      "setup.text": "这台设备还没有密码。请设置技术人员密码（8–128 个字符），之后用它登录并添加助播密码。",
      "setup.password": "新密码",
      "setup.password2": "再次输入",
      "setup.submit": "设置并登录",
      "setup.mismatch": "两次输入的密码不一致",
      "setup.length": "密码需要 8 到 128 个字符",

      "login.title": "登录",
      "login.role": "身份",
      "login.role.operator": "助播 / 场控",
      "login.role.technician": "技术支持",
      "login.password": "密码",
      "login.submit": "登录",
      "login.expired": "登录已过期，请重新登录",

      "tab.show": "直播",
      "tab.signal": "信号",
      "tab.log": "日志",
      "tab.tech": "技术",

      "onair.on": "ON AIR 直播中",
      "onair.off": "未开播",
      "clock.title": "本场已播时长",
      "tally": "提示灯",
      "recording": "录制",
      "preview.alt": "节目预览",
      "preview.waiting": "等待预览画面…",

      "live.go": "开始直播",
      "live.end": "结束直播",
      "live.confirm.go": "确定开始直播？所有平台会立即收到画面。",
      "live.confirm.end": "确定结束直播？所有平台的推流将结束。",
      "confirm.yes": "确定",
      "confirm.no": "取消",
      "live.started": "已开播",
      "live.ended": "已结束直播",

      "product.title": "当前商品",
      "product.none": "尚未上架商品",
      "product.next": "下一个",
      "product.previous": "上一个",
      "product.upnext": "下一个：{name}",
      "product.explain": "讲解计时",
      "product.explain.over": "已超过讲解时长，请切换商品",
      "price.title": "价格更正",
      "price.label": "正确价格（元）",
      "price.set": "更正价格",
      "price.done": "价格已更正为 ¥{price}",
      "stock.title": "库存",
      "stock.label": "剩余件数",
      "stock.set": "更新库存",
      "toggle.stock": "库存显示",
      "toggle.coupon": "优惠券",
      "toggle.opening": "开场卡",
      "toggle.closing": "结束卡",
      "toggle.mute": "麦克风",
      "audio.live": "开启",
      "flash.title": "限时秒杀",
      "flash.start": "开始秒杀",
      "flash.stop": "结束秒杀",
      "flash.reset": "重置",
      "flash.idle": "未开始",
      "coupon.title": "优惠券",
      "lower.title": "人名条",
      "lower.name": "姓名",
      "lower.role": "身份（可选）",
      "lower.show": "显示",
      "lower.hide": "隐藏",
      "cards.title": "开场 / 结束卡",
      "ros.title": "直播脚本",
      "ros.price": "¥{price}",
      "ros.stock": "库存 {stock}",
      "ros.flash": "秒杀 {s} 秒",
      "ros.onair": "讲解中",
      "ros.next": "下一个",
      "ros.goto": "切换到此商品",
      "state.on": "显示中",
      "state.off": "未显示",

      "audio.title": "音频",
      "audio.mic": "麦克风",
      "audio.program": "节目输出",
      "audio.muted": "已静音",
      "audio.clipping": "爆音",
      "audio.gain": "增益 (dB)",
      "audio.gain.set": "设置增益",
      "studio.title": "灯光",
      "studio.scene": "场景",
      "studio.scene.set": "切换场景",
      "studio.scene.input": "场景名称",
      "studio.scene.none": "无",
      "studio.lights": "灯光亮度",
      "studio.lamps": "提示灯",
      "studio.problems": "问题",
      "uplinks.title": "网络链路",
      "uplinks.none": "未配置网络链路（使用系统默认路由）",
      "uplinks.uplink": "链路",
      "uplinks.interface": "网卡",
      "uplinks.state": "状态",
      "uplinks.rtt": "延迟",
      "uplinks.chosen": "在用",
      "dest.title": "推流平台",
      "dest.none": "开播后显示推流状态",
      "dest.destination": "平台",
      "dest.state": "状态",
      "dest.ingest": "入口",
      "dest.bitrate": "当前码率",
      "dest.sent": "已发送 / 丢弃",
      "dest.connections": "连接 / 失败 / 切换",
      "dest.reconnect": "重连",
      "dest.reconnected": "已请求重连 {name}",
      "cameras.title": "摄像头",

      "log.title": "事件日志",
      "log.empty": "暂无事件",

      "tech.board": "设备信息",
      "tech.preflight": "开播前检查",
      "tech.preflight.run": "开始检查",
      "tech.preflight.summary": "通过 {passed} 项，失败 {failed} 项",
      "tech.preflight.pass": "通过",
      "tech.preflight.fail": "失败",
      "tech.config": "配置",
      "tech.config.text": "修改推流平台、网络链路、视频和音频设置。保存后在下次启动 shopcastd 时生效。推流密钥只写不读：留空则保持不变。",
      "tech.config.reload": "重新读取",
      "tech.config.save": "保存配置",
      "tech.config.saved": "已保存，下次启动时生效",
      "tech.config.nothing": "没有修改",
      "tech.config.add-key": "添加设置项",
      "tech.config.key": "名称",
      "tech.config.value": "值",
      "tech.config.remove-key": "删除此项",
      "tech.config.remove-group": "删除此组",
      "tech.config.restore-group": "恢复此组",
      "tech.config.add-group": "添加",
      "tech.config.group-name": "名称（字母、数字、- 或 _）",
      "tech.config.kind.destination": "推流平台",
      "tech.config.kind.uplink": "网络链路",
      "tech.config.key-placeholder": "当前：{masked}（留空不变）",
      "tech.config.removed": "将删除",
      "tech.config.path": "配置文件：{path}",
      "tech.passwords": "助播密码",
      "tech.passwords.text": "助播用此密码登录，只能操作直播，不能进入技术页面。",
      "tech.passwords.new": "新的助播密码",
      "tech.passwords.new2": "再次输入",
      "tech.passwords.set": "设置助播密码",
      "tech.passwords.remove": "删除助播密码",
      "tech.passwords.confirm-remove": "删除助播密码后，助播将无法登录。确定？",
      "tech.passwords.saved": "助播密码已设置",
      "tech.passwords.removed": "助播密码已删除",
      "tech.logs": "日志下载",
      "tech.logs.text": "下载最近的事件和 shopcastd 日志（文本文件），发给技术支持。",
      "tech.logs.link": "下载日志",
      "tech.update": "固件升级",
      "tech.update.text": "固件升级将随固件镜像功能一起提供，目前无法在此上传升级包。",

      "board.board": "板型",
      "board.description": "说明",
      "board.version": "固件版本",
      "board.kernel": "内核",
      "board.machine": "架构",
      "board.hostname": "主机名",
      "board.video_encoder": "视频编码器",
      "board.audio_encoder": "音频编码器",
      "board.video": "视频",
      "board.uptime_s": "运行时间",
      "board.temperature_c": "温度",
      "board.config": "配置文件",

      "tally.ready": "就绪",
      "tally.on air": "直播中",
      "tally.degraded": "推流异常",
      "tally.pre-show": "即将开播",

      "error.network": "无法连接设备：{message}",
      "error.generic": "操作失败（HTTP {status}）",
      "seconds": "{s} 秒",
      "ms": "{ms} 毫秒",
      "kbps": "{kbps} kb/s",
      "none": "—",
      "yes": "是",
      "no": "否",
    },
    en: {
      "app.title": "shopcast control panel",
      "lang.toggle": "中文",
      "lang.toggle.title": "切换到中文",
      "conn.online": "Connected",
      "conn.offline": "Connection lost, reconnecting…",
      "conn.connecting": "Connecting…",
      "who.operator": "Operator",
      "who.technician": "Technician",
      "logout": "Log out",

      "setup.title": "First start: set the technician password",
      "setup.text": "This box has no password yet. Set the technician's password (8–128 characters); then log in with it and add an operator password.",
      "setup.password": "New password",
      "setup.password2": "Repeat it",
      "setup.submit": "Set and log in",
      "setup.mismatch": "The two passwords differ",
      "setup.length": "A password has 8 to 128 characters",

      "login.title": "Log in",
      "login.role": "Role",
      "login.role.operator": "Operator",
      "login.role.technician": "Technician",
      "login.password": "Password",
      "login.submit": "Log in",
      "login.expired": "The session has ended: log in again",

      "tab.show": "Show",
      "tab.signal": "Signal",
      "tab.log": "Log",
      "tab.tech": "Technician",

      "onair.on": "ON AIR",
      "onair.off": "Off air",
      "clock.title": "Time on air",
      "tally": "Tally",
      "recording": "Recording",
      "preview.alt": "Program preview",
      "preview.waiting": "Waiting for the preview…",

      "live.go": "Go live",
      "live.end": "End show",
      "live.confirm.go": "Go live now? Every platform receives the program at once.",
      "live.confirm.end": "End the show? Every platform's stream ends.",
      "confirm.yes": "Yes",
      "confirm.no": "Cancel",
      "live.started": "On air",
      "live.ended": "The show has ended",

      "product.title": "On air",
      "product.none": "No product on air yet",
      "product.next": "Next",
      "product.previous": "Previous",
      "product.upnext": "Up next: {name}",
      "product.explain": "Explaining for",
      "product.explain.over": "Over the explanation limit: move on",
      "price.title": "Price correction",
      "price.label": "Correct price (yuan)",
      "price.set": "Correct the price",
      "price.done": "Price corrected to ¥{price}",
      "stock.title": "Stock",
      "stock.label": "Items left",
      "stock.set": "Set stock",
      "toggle.stock": "Stock on screen",
      "toggle.coupon": "Coupon",
      "toggle.opening": "Opening card",
      "toggle.closing": "Closing card",
      "toggle.mute": "Mic",
      "audio.live": "open",
      "flash.title": "Flash sale",
      "flash.start": "Start",
      "flash.stop": "Stop",
      "flash.reset": "Reset",
      "flash.idle": "Not running",
      "coupon.title": "Coupon",
      "lower.title": "Lower third",
      "lower.name": "Name",
      "lower.role": "Role (optional)",
      "lower.show": "Show",
      "lower.hide": "Hide",
      "cards.title": "Opening / closing cards",
      "ros.title": "Run of show",
      "ros.price": "¥{price}",
      "ros.stock": "{stock} in stock",
      "ros.flash": "flash sale {s} s",
      "ros.onair": "on air",
      "ros.next": "next",
      "ros.goto": "Put this product on air",
      "state.on": "on",
      "state.off": "off",

      "audio.title": "Audio",
      "audio.mic": "Mic",
      "audio.program": "Program",
      "audio.muted": "Muted",
      "audio.clipping": "Clipping",
      "audio.gain": "Gain (dB)",
      "audio.gain.set": "Set gain",
      "studio.title": "Lights",
      "studio.scene": "Scene",
      "studio.scene.set": "Call up scene",
      "studio.scene.input": "Scene name",
      "studio.scene.none": "none",
      "studio.lights": "Light levels",
      "studio.lamps": "Tally lamps",
      "studio.problems": "Problems",
      "uplinks.title": "Uplinks",
      "uplinks.none": "No uplinks configured (the system's default route is used)",
      "uplinks.uplink": "Uplink",
      "uplinks.interface": "Interface",
      "uplinks.state": "State",
      "uplinks.rtt": "RTT",
      "uplinks.chosen": "In use",
      "dest.title": "Destinations",
      "dest.none": "The streams show here once live",
      "dest.destination": "Destination",
      "dest.state": "State",
      "dest.ingest": "Ingest",
      "dest.bitrate": "Bitrate now",
      "dest.sent": "Sent / dropped",
      "dest.connections": "Connections / failures / moves",
      "dest.reconnect": "Reconnect",
      "dest.reconnected": "Reconnecting {name}",
      "cameras.title": "Cameras",

      "log.title": "Event log",
      "log.empty": "No events yet",

      "tech.board": "Board",
      "tech.preflight": "Pre-flight check",
      "tech.preflight.run": "Run the check",
      "tech.preflight.summary": "{passed} passed, {failed} failed",
      "tech.preflight.pass": "pass",
      "tech.preflight.fail": "FAIL",
      "tech.config": "Configuration",
      "tech.config.text": "Destinations, uplinks, video and audio. Saved changes apply at the next start of shopcastd. Stream keys are write-only: leave one empty to keep it.",
      "tech.config.reload": "Reload",
      "tech.config.save": "Save configuration",
      "tech.config.saved": "Saved: applies at the next start",
      "tech.config.nothing": "Nothing changed",
      "tech.config.add-key": "Add a setting",
      "tech.config.key": "Key",
      "tech.config.value": "Value",
      "tech.config.remove-key": "Remove this setting",
      "tech.config.remove-group": "Remove this group",
      "tech.config.restore-group": "Keep this group",
      "tech.config.add-group": "Add",
      "tech.config.group-name": "Name (letters, digits, - or _)",
      "tech.config.kind.destination": "Destination",
      "tech.config.kind.uplink": "Uplink",
      "tech.config.key-placeholder": "now {masked} (empty: unchanged)",
      "tech.config.removed": "to be removed",
      "tech.config.path": "Config file: {path}",
      "tech.passwords": "Operator password",
      "tech.passwords.text": "The operator logs in with it to run the show, without access to this technician view.",
      "tech.passwords.new": "New operator password",
      "tech.passwords.new2": "Repeat it",
      "tech.passwords.set": "Set the operator password",
      "tech.passwords.remove": "Remove the operator password",
      "tech.passwords.confirm-remove": "Without a password the operator cannot log in. Remove it?",
      "tech.passwords.saved": "The operator password is set",
      "tech.passwords.removed": "The operator password is removed",
      "tech.logs": "Logs",
      "tech.logs.text": "Download the recent events and shopcastd's log (a text file) for support.",
      "tech.logs.link": "Download the log",
      "tech.update": "Firmware update",
      "tech.update.text": "Firmware updates arrive with the firmware image work; there is nothing to upload here yet.",

      "board.board": "Board",
      "board.description": "Description",
      "board.version": "Firmware",
      "board.kernel": "Kernel",
      "board.machine": "Machine",
      "board.hostname": "Host name",
      "board.video_encoder": "Video encoder",
      "board.audio_encoder": "Audio encoder",
      "board.video": "Video",
      "board.uptime_s": "Uptime",
      "board.temperature_c": "Temperature",
      "board.config": "Config file",

      "tally.ready": "ready",
      "tally.on air": "on air",
      "tally.degraded": "degraded",
      "tally.pre-show": "pre-show",

      "error.network": "Cannot reach the box: {message}",
      "error.generic": "Failed (HTTP {status})",
      "seconds": "{s} s",
      "ms": "{ms} ms",
      "kbps": "{kbps} kb/s",
      "none": "—",
      "yes": "yes",
      "no": "no",
    },
  };

  const STORE_KEY = "shopcast.lang";
  let lang = "zh";
  try {
    const saved = window.localStorage.getItem(STORE_KEY);
    if (saved && STRINGS[saved]) lang = saved;
  } catch (e) {
    /* storage may be off (private mode): Chinese then */
  }

  function t(key, params) {
    const table = STRINGS[lang];
    let text = key in table ? table[key] : key in STRINGS.zh ? STRINGS.zh[key] : key;
    if (params)
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
    return text;
  }

  /* Whether @key has a string (for values such as tally states). */
  function has(key) {
    return key in STRINGS[lang];
  }

  function apply(root) {
    const scope = root || document;
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("app.title");
    scope.querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.dataset.i18n);
    });
    scope.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    });
    scope.querySelectorAll("[data-i18n-title]").forEach((el) => {
      el.title = t(el.dataset.i18nTitle);
    });
    scope.querySelectorAll("[data-i18n-aria]").forEach((el) => {
      el.setAttribute("aria-label", t(el.dataset.i18nAria));
    });
    scope.querySelectorAll("[data-i18n-alt]").forEach((el) => {
      el.alt = t(el.dataset.i18nAlt);
    });
  }

  function setLanguage(next) {
    if (!STRINGS[next]) return;
    lang = next;
    try {
      window.localStorage.setItem(STORE_KEY, lang);
    } catch (e) {
      /* not remembered, still switched */
    }
    apply();
  }

  window.ScI18n = {
    t,
    has,
    apply,
    setLanguage,
    get language() {
      return lang;
    },
  };
})();
