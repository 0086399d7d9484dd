// 在线问诊的实时消息：对话页打开期间连着 WebSocket（wx.connectSocket，请求头带 Bearer 凭证），
// 连不上时改用长轮询（messages/poll/?after=&wait=25），并按退避时间重连。
//
//   const live = consultLive.create({
//     consultId: 3,
//     after: 41,                                  // 页面已读到的最后一条消息 id（没有为 0）
//     onMessages: function (list) {},             // 新消息（按 id 去重、按顺序）
//     onRecalled: function (messageId) {},        // 有消息被撤回
//     onConsult: function (consult) {},           // 问诊状态变了：{id, status}
//     onState: function (state) {},               // connecting / live / polling / waiting / gone
//     onError: function (err) {}                  // 服务器通过 socket 退回的错误（error 帧），或补读失败
//   });
//   live.start(); … live.stop();
//
// 每次（重新）连上（收到 ready）都用 REST 的 messages/?after=<最后一条 id> 补读断线期间的消息；
// socket 连续 FALLBACK_AFTER 次没连上就开始长轮询，同时隔一段时间再试 socket，连上后停止轮询。
// 同一条消息无论从 socket、轮询还是补读来，只交给页面一次（按 id）。
const api = require('../api/index.js');

const DEFAULTS = {
  backoffMs: 1000, // 第 n 次失败后等 backoffMs * 2^(n-1)，最多 maxBackoffMs
  maxBackoffMs: 30000,
  fallbackAfter: 2, // socket 连续失败几次后改用长轮询
  socketRetryMs: 30000, // 轮询期间隔多久再试一次 socket（每次翻倍，最多 maxSocketRetryMs）
  maxSocketRetryMs: 300000,
  readyTimeoutMs: 15000, // 连上后多久收不到 ready 算失败
  pollWait: 25,
  pollTimeoutMs: 40000, // 长轮询请求的超时（比 wait 长）
  pageLimit: 100
};

// 服务器关闭连接的代码（见接口约定）
const CLOSE_NOT_FOUND = 4404;
const CLOSE_BAD_TOKEN = 4401;

function backoff(base, max, failures) {
  return Math.min(max, base * Math.pow(2, Math.max(0, failures - 1)));
}

// 从 cursor 之后读完全部消息（每次 limit 条，直到不满一页）
function fetchAfter(consultId, after, limit) {
  const all = [];
  function next(cursor) {
    return api.call('consultMessages', { params: { consult_id: consultId }, query: { after: cursor, limit: limit } }).then(function (page) {
      const results = page.results || [];
      Array.prototype.push.apply(all, results);
      if (results.length < limit || page.next_cursor === null || page.next_cursor === undefined || page.next_cursor === cursor) {
        return all;
      }
      return next(page.next_cursor);
    });
  }
  return next(after);
}

function create(options) {
  const opts = Object.assign({}, DEFAULTS, options);
  const noop = function () {};
  const on = {
    messages: opts.onMessages || noop,
    recalled: opts.onRecalled || noop,
    consult: opts.onConsult || noop,
    state: opts.onState || noop,
    error: opts.onError || noop
  };
  const seen = {};
  const timers = {};
  const live = {
    lastId: Number(opts.after) || 0,
    state: 'idle',
    stopped: true,
    socketFailures: 0, // 连续没连上的次数（收到 ready 清零）
    socketRetries: 0, // 轮询期间再试 socket 的次数
    polling: false
  };
  let task = null;
  let socketGen = 0; // 每个连接一个编号：旧连接迟到的回调一律忽略
  let pollGen = 0;

  function setState(state) {
    if (live.state !== state) {
      live.state = state;
      on.state(state);
    }
  }

  function clearTimer(name) {
    if (timers[name]) {
      clearTimeout(timers[name]);
      timers[name] = null;
    }
  }

  function later(name, ms, fn) {
    clearTimer(name);
    timers[name] = setTimeout(function () {
      timers[name] = null;
      if (!live.stopped) {
        fn();
      }
    }, ms);
  }

  // 去重后按 id 顺序交给页面；游标只随消息流前进
  function deliver(messages) {
    const fresh = [];
    (messages || []).forEach(function (m) {
      if (m && m.id && !seen[m.id]) {
        seen[m.id] = true;
        fresh.push(m);
      }
      if (m && m.id > live.lastId) {
        live.lastId = m.id;
      }
    });
    fresh.sort(function (a, b) { return a.id - b.id; });
    if (fresh.length && !live.stopped) {
      on.messages(fresh);
    }
    return fresh;
  }

  function catchUp() {
    return fetchAfter(opts.consultId, live.lastId, opts.pageLimit).then(function (messages) {
      if (!live.stopped) {
        deliver(messages);
      }
      return true;
    });
  }

  function gone() {
    live.stop();
    setState('gone');
  }

  // ---- WebSocket ----
  function connect() {
    clearTimer('reconnect');
    clearTimer('socketRetry');
    const gen = ++socketGen;
    if (!live.polling) {
      setState('connecting');
    }
    let url;
    try {
      url = api.socketUrl('consultLive', { consult_id: opts.consultId });
    } catch (err) {
      dropped(gen, null);
      return;
    }
    task = wx.connectSocket({
      url: url,
      header: { Authorization: 'Bearer ' + api.accessToken() },
      fail: function () {
        dropped(gen, null);
      }
    });
    if (gen !== socketGen) {
      closeTask(task); // fail 已同步回调
      task = null;
      return;
    }
    if (!task) {
      dropped(gen, null);
      return;
    }
    const current = task;
    later('ready', opts.readyTimeoutMs, function () {
      if (gen === socketGen) {
        dropped(gen, null);
        closeTask(current);
      }
    });
    current.onMessage(function (res) {
      if (gen === socketGen) {
        frame(res && res.data);
      }
    });
    current.onClose(function (res) {
      dropped(gen, res && res.code);
    });
    current.onError(function () {
      dropped(gen, null);
    });
  }

  function closeTask(t) {
    if (t) {
      try {
        t.close({ code: 1000, reason: 'bye' });
      } catch (err) {
        // 已关闭
      }
    }
  }

  function frame(raw) {
    let data;
    try {
      data = typeof raw === 'string' ? JSON.parse(raw) : raw;
    } catch (err) {
      return;
    }
    if (!data || !data.type) {
      return;
    }
    if (data.type === 'ready') {
      clearTimer('ready');
      live.socketFailures = 0;
      live.socketRetries = 0;
      stopPolling();
      setState('live');
      catchUp().catch(on.error);
    } else if (data.type === 'message') {
      deliver([data.message]);
    } else if (data.type === 'recalled') {
      on.recalled(data.message_id);
    } else if (data.type === 'consult') {
      on.consult(data.consult);
    } else if (data.type === 'error') {
      on.error(data.error);
    }
  }

  // 连接断了（或没连上）：code 是服务器的关闭代码
  function dropped(gen, code) {
    if (gen !== socketGen || live.stopped) {
      return;
    }
    socketGen += 1; // 这个连接后面的回调都作废
    clearTimer('ready');
    const old = task;
    task = null;
    closeTask(old);
    if (code === CLOSE_NOT_FOUND) {
      gone();
      return;
    }
    live.socketFailures += 1;
    if (code !== CLOSE_BAD_TOKEN) {
      retry();
      return;
    }
    // access 过期：先用 refresh 换一对新的再连（换不到时 api 已退出登录）
    api.refreshTokens().then(function (ok) {
      if (!ok) {
        gone();
      } else if (!live.stopped) {
        retry();
      }
    }, function () {
      if (!live.stopped) {
        retry();
      }
    });
  }

  // 没连上之后：等退避时间再连；连续失败够多次就先用长轮询，隔一段时间再试 socket
  function retry() {
    if (live.polling) {
      live.socketRetries += 1;
      later('socketRetry', backoff(opts.socketRetryMs, opts.maxSocketRetryMs, live.socketRetries), connect);
    } else if (live.socketFailures >= opts.fallbackAfter) {
      startPolling();
      live.socketRetries = 1;
      later('socketRetry', backoff(opts.socketRetryMs, opts.maxSocketRetryMs, 1), connect);
    } else {
      setState('waiting');
      later('reconnect', backoff(opts.backoffMs, opts.maxBackoffMs, live.socketFailures), connect);
    }
  }

  // ---- 长轮询 ----
  function startPolling() {
    if (live.polling) {
      return;
    }
    live.polling = true;
    setState('polling');
    poll(++pollGen, 0);
  }

  function stopPolling() {
    if (live.polling) {
      live.polling = false;
      pollGen += 1;
      clearTimer('poll');
    }
  }

  function poll(gen, failures) {
    if (gen !== pollGen || live.stopped) {
      return;
    }
    api.call('consultPoll', {
      params: { consult_id: opts.consultId },
      query: { after: live.lastId, wait: opts.pollWait },
      timeout: opts.pollTimeoutMs
    }).then(function (page) {
      if (gen !== pollGen || live.stopped) {
        return;
      }
      deliver(page.results);
      setState('polling');
      poll(gen, 0);
    }, function (err) {
      if (gen !== pollGen || live.stopped) {
        return;
      }
      if (err && err.code === 'consult_not_found') {
        gone();
        return;
      }
      setState('waiting');
      later('poll', backoff(opts.backoffMs, opts.maxBackoffMs, failures + 1), function () {
        poll(gen, failures + 1);
      });
    });
  }

  live.start = function () {
    if (!live.stopped) {
      return live;
    }
    live.stopped = false;
    live.socketFailures = 0;
    connect();
    return live;
  };

  live.stop = function () {
    if (live.stopped) {
      return;
    }
    live.stopped = true;
    socketGen += 1;
    stopPolling();
    Object.keys(timers).forEach(clearTimer);
    const old = task;
    task = null;
    closeTask(old);
    setState('stopped');
  };

  // 页面自己拿到的消息（刚发出的、首次读取的）：之后从消息流再来时不重复交给页面。游标不动，
  // 以免跳过对方在这之前发出、还没收到的消息。
  live.remember = function (messages) {
    (messages || []).forEach(function (m) {
      if (m && m.id) {
        seen[m.id] = true;
      }
    });
  };

  return live;
}

module.exports = { create: create, fetchAfter: fetchAfter, backoff: backoff, DEFAULTS: DEFAULTS };
