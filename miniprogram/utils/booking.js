// 预约挂号：下单，抢号时等候排队的结果。
//
// 放号抢号时，服务器先在号源库存里占座；占到座的请求成为一张“挂号单”（号票），由服务器按顺序写成预约。
// 来得及写完就直接返回预约（201）；否则返回 202 {ticket, status: 'queued', poll}（带 Idempotency-Key
// 时总是如此），这时按挂号单轮询 bookingTicket：先每秒一次（POLICY.fastFor 次），之后逐渐放慢（最多
// POLICY.slowest 毫秒一次），最多等 POLICY.bound 毫秒。
//
//   const b = booking.book({
//     slotId: 101, profileId: 9, idempotencyKey: key,
//     onQueued: function (ticket) {},      // 进入排队（202）
//     onWaiting: function (seconds) {}     // 排队中每秒一次：已等待的秒数
//   });
//   b.promise.then(function (result) {
//     // {status: 'booked', appointment}               约上了（预约，与 201 的应答相同）
//     // {status: 'queued', timedOut: true, ticket}    等到时限仍在排队：服务器仍会处理，结果以“我的预约”为准
//     // {status: 'cancelled'}                         页面卸载时调用了 b.cancel()
//   }, function (err) {
//     // 被拒（号已约满、超过每日限额……）：与其他接口相同的中文 ApiError；
//     // 挂号单被拒时 err.ticket 是挂号单号（同一个 Idempotency-Key 只会再次得到这张挂号单，应换新的）
//   });
//
// 轮询时的网络错误、服务器错误和限流不算失败，照常按退避再问，直到时限。
const api = require('../api/index.js');

const POLICY = {
  fast: 1000, // 起初每秒问一次
  fastFor: 5, // 前 5 次
  factor: 1.5, // 之后每次间隔乘 1.5
  slowest: 5000, // 最多 5 秒一次
  bound: 60000 // 最多等 60 秒
};

function isTicket(answer) {
  return !!answer && typeof answer === 'object' && typeof answer.ticket === 'string';
}

// 第 n 次轮询（从 0 数）之前等待的毫秒数
function pollDelay(n, policy) {
  const p = policy || POLICY;
  if (n < p.fastFor) {
    return p.fast;
  }
  return Math.min(p.slowest, Math.round(p.fast * Math.pow(p.factor, n - p.fastFor + 1)));
}

// 被拒的挂号单 → 与接口错误相同的 ApiError（状态码同服务器：就诊人不存在 404，其余 409）
function refusalError(ticket) {
  const code = ticket.error && ticket.error.code ? ticket.error.code : 'error';
  const err = new api.ApiError(code === 'profile_not_found' ? 404 : 409, code);
  err.ticket = ticket.ticket;
  return err;
}

// 轮询出错时值得再问：网络错误、服务器错误、限流
function transient(err) {
  return !!err && !!err.isApiError && (err.status === 0 || err.status >= 500 || err.status === 429);
}

function book(options) {
  const policy = Object.assign({}, POLICY, options.policy || {});
  let stopped = false;
  let timer = null;
  let ticker = null;
  let finish = null;

  function clear() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (ticker !== null) {
      clearInterval(ticker);
      ticker = null;
    }
  }

  function follow(first, resolve, reject) {
    const started = Date.now();
    let polls = 0;

    function done(settle, value) {
      clear();
      stopped = true;
      settle(value);
    }

    function schedule() {
      const waited = Date.now() - started;
      if (waited >= policy.bound) {
        done(resolve, { status: 'queued', timedOut: true, ticket: first.ticket });
        return;
      }
      // 最后一次正好在时限时问
      const delay = Math.min(pollDelay(polls, policy), policy.bound - waited);
      polls += 1;
      timer = setTimeout(poll, delay);
    }

    function decide(ticket) {
      if (ticket.status === 'booked' && ticket.appointment) {
        done(resolve, { status: 'booked', appointment: ticket.appointment });
      } else if (ticket.status === 'refused') {
        done(reject, refusalError(ticket));
      } else {
        schedule();
      }
    }

    function poll() {
      timer = null;
      api.call('bookingTicket', { params: { ticket_id: first.ticket } }).then(function (ticket) {
        if (!stopped) {
          decide(ticket);
        }
      }, function (err) {
        if (stopped) {
          return;
        }
        if (transient(err)) {
          schedule();
        } else {
          done(reject, err);
        }
      });
    }

    if (options.onQueued) {
      options.onQueued(first);
    }
    if (options.onWaiting) {
      options.onWaiting(0);
      ticker = setInterval(function () {
        options.onWaiting(Math.floor((Date.now() - started) / 1000));
      }, 1000);
    }
    decide(first);
  }

  const promise = new Promise(function (resolve, reject) {
    finish = resolve;
    api.call('appointmentBook', {
      body: { slot_id: options.slotId, profile_id: options.profileId },
      headers: { 'Idempotency-Key': options.idempotencyKey }
    }).then(function (answer) {
      if (stopped) {
        return;
      }
      if (isTicket(answer)) {
        follow(answer, resolve, reject);
      } else {
        stopped = true;
        resolve({ status: 'booked', appointment: answer });
      }
    }, function (err) {
      if (!stopped) {
        stopped = true;
        reject(err);
      }
    });
  });

  return {
    promise: promise,
    // 停止等候（页面卸载）：不再轮询，promise 以 {status: 'cancelled'} 结束
    cancel: function () {
      if (stopped) {
        return;
      }
      stopped = true;
      clear();
      finish({ status: 'cancelled' });
    }
  };
}

module.exports = { book: book, pollDelay: pollDelay, isTicket: isTicket, POLICY: POLICY };
