// 排队放号的排队页：热门出诊放号前先选就诊人进入排队，放号时统一抽签排序，按顺序放行；
// 轮到时（admitted）在 pass_until 之前选时段、走原来的确认预约页（带上排队时的就诊人）。
//
// 位置由服务器给出（releaseQueuePlace），每隔 poll_after_seconds 秒再问一次；为 null 时不再问。
// 页面隐藏或卸载时停止轮询和倒计时，回到页面时立即再问一次。
const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');
const subscribe = require('../../utils/subscribe.js');

// 轮到时的通知（release_queue_admitted）：进入排队时请用户授权订阅
const NOTICES = ['release_queue_admitted', 'booked'];

const STATE_TEXT = {
  off: '该出诊不排队，可照常预约',
  fallback: '排队服务暂不可用，请照常预约',
  stopped: '该出诊已停诊',
  not_open: '排队尚未开始',
  open: '排队已开始，可以进入排队',
  closed: '排队放号已结束，请照常预约',
  drawing: '已进入排队，放号时统一抽签排序',
  waiting: '排队中，请耐心等候',
  admitted: '轮到您了，请尽快预约',
  booked: '已通过排队预约成功',
  lapsed: '预约时限已过，未能预约',
  sold_out: '暂时没有余号'
};
const HOLDING = ['drawing', 'waiting', 'admitted', 'lapsed', 'sold_out'];
const AS_USUAL = ['off', 'fallback', 'closed'];
const RELATIONS = { self: '本人', parent: '父母', spouse: '配偶', child: '子女', relative: '亲属', other: '其他' };
const RETRY_SECONDS = 5; // 网络错误、服务器错误、限流时隔几秒再问

// 轮询出错时值得再问：网络错误、服务器错误、限流
function transient(err) {
  return !!err && !!err.isApiError && (err.status === 0 || err.status >= 500 || err.status === 429);
}

function waitText(seconds) {
  if (seconds === null || seconds === undefined) {
    return '';
  }
  if (seconds < 60) {
    return '约 ' + seconds + ' 秒';
  }
  return '约 ' + Math.ceil(seconds / 60) + ' 分钟';
}

// 服务器的位置 → 页面显示的文字
function placeView(place, profiles, nowMs) {
  const profile = profiles.filter(function (p) { return p.id === place.profile_id; })[0];
  return {
    place: place,
    stateText: STATE_TEXT[place.state] || '',
    holding: HOLDING.indexOf(place.state) >= 0,
    asUsual: AS_USUAL.indexOf(place.state) >= 0,
    profileName: profile ? profile.name : '',
    opensText: place.opens_at ? format.dateTime(place.opens_at) : '',
    releaseText: place.release_at ? format.dateTime(place.release_at) : '',
    waitText: place.state === 'waiting' ? (waitText(place.estimated_wait_seconds) || '无法估计，可能没有余号') : '',
    passText: place.state === 'admitted' && place.pass_until ? format.countdown(place.pass_until, nowMs) : ''
  };
}

Component({
  data: {
    session: {}, slots: [], profiles: [], profileId: 0, place: {}, stateText: '', holding: false, asUsual: false,
    profileName: '', opensText: '', releaseText: '', waitText: '', passText: '',
    submitting: false, actionError: '', loading: true, error: '', needLogin: false
  },
  methods: {
    onLoad: function (options) {
      this.sessionId = Number(options.session);
      // 先取模板，点“进入排队”时才能当场调起订阅授权
      subscribe.prefetch(NOTICES).catch(function () {
        return null;
      });
      return this.reload();
    },
    onShow: function () {
      // 从确认预约页回来、切回前台：立即再问一次，接着按服务器的节奏问
      if (this.loaded && !this.pollTimer && !this.asking) {
        return this.poll();
      }
      return Promise.resolve();
    },
    onHide: function () {
      this.stop();
    },
    onUnload: function () {
      this.stop();
      this.unloaded = true;
    },
    reload: function () {
      const self = this;
      self.stop();
      return page.load(self, function () {
        return Promise.all([
          api.call('sessionDetail', { params: { session_id: self.sessionId } }),
          api.call('profileList', { query: { page_size: 100 } }), // 就诊人不多，一页读完
          api.call('releaseQueuePlace', { params: { session_id: self.sessionId } })
        ]).then(function (answers) {
          const profiles = answers[1].results.map(function (p) {
            return Object.assign({}, p, { relationText: RELATIONS[p.relation] || '' });
          });
          const own = profiles.filter(function (p) { return p.relation === 'self'; })[0] || profiles[0];
          self.profiles = profiles;
          return Object.assign({
            session: Object.assign({}, answers[0], { feeText: format.yuan(answers[0].fee) }),
            slots: self.slotsOf(answers[0]),
            profiles: profiles,
            profileId: own ? own.id : 0
          }, placeView(answers[2], profiles, Date.now()));
        });
      }).then(function (ok) {
        if (ok) {
          self.loaded = true;
          self.follow(self.data.place);
        }
        return ok;
      });
    },
    slotsOf: function (session) {
      return (session.slots || []).map(function (slot) {
        return Object.assign({}, slot, { timeText: format.timePart(slot.starts_at) + '-' + format.timePart(slot.ends_at) });
      });
    },
    // 显示新的位置，并按 poll_after_seconds 安排下一次询问
    show: function (place) {
      const self = this;
      const becameAdmitted = place.state === 'admitted' && self.data.place.state !== 'admitted';
      self.setData(placeView(place, self.profiles || [], Date.now()));
      self.follow(place);
      if (becameAdmitted) {
        // 刚轮到：读一次最新的余号
        return api.call('sessionDetail', { params: { session_id: self.sessionId } }).then(function (s) {
          self.setData({ slots: self.slotsOf(s) });
        }, function () {});
      }
      return Promise.resolve();
    },
    follow: function (place) {
      this.stop();
      if (this.unloaded) {
        return;
      }
      if (place.poll_after_seconds !== null && place.poll_after_seconds !== undefined) {
        this.schedule(place.poll_after_seconds);
      }
      if (place.state === 'admitted' && place.pass_until) {
        const self = this;
        self.ticker = setInterval(function () {
          self.setData({ passText: format.countdown(place.pass_until, Date.now()) });
        }, 1000);
      }
    },
    schedule: function (seconds) {
      const self = this;
      self.pollTimer = setTimeout(function () {
        self.pollTimer = null;
        self.poll();
      }, seconds * 1000);
    },
    stop: function () {
      if (this.pollTimer) {
        clearTimeout(this.pollTimer);
        this.pollTimer = null;
      }
      if (this.ticker) {
        clearInterval(this.ticker);
        this.ticker = null;
      }
    },
    poll: function () {
      const self = this;
      self.asking = true;
      return api.call('releaseQueuePlace', { params: { session_id: self.sessionId } }).then(function (place) {
        self.asking = false;
        if (!self.unloaded) {
          return self.show(place);
        }
        return null;
      }, function (err) {
        self.asking = false;
        if (self.unloaded) {
          return;
        }
        if (transient(err)) {
          self.schedule(RETRY_SECONDS);
        } else {
          self.setData({ actionError: errors.errorText(err) });
        }
      });
    },
    onProfile: function (e) {
      this.setData({ profileId: e.currentTarget.dataset.id });
    },
    onAddProfile: function () {
      wx.navigateTo({ url: '/pages/profile-edit/profile-edit' });
    },
    // 进入排队（已为同一就诊人排队时服务器答 200 和原来的位置）
    onJoin: function () {
      // 在点击的当下请求订阅（不等结果）：轮到时即使没开着页面也能收到通知
      subscribe.requestConsent(NOTICES).catch(function () {
        return null;
      });
      return this.join(this.data.profileId);
    },
    join: function (profileId) {
      const self = this;
      if (self.data.submitting || !profileId) {
        return Promise.resolve();
      }
      self.setData({ submitting: true, actionError: '' });
      return api.call('releaseQueueJoin', { params: { session_id: self.sessionId }, body: { profile_id: profileId } }).then(function (place) {
        self.setData({ submitting: false });
        return self.show(place);
      }, function (err) {
        self.setData({ submitting: false, actionError: errors.errorText(err) });
      });
    },
    leave: function () {
      const self = this;
      return api.call('releaseQueueLeave', { params: { session_id: self.sessionId } }).then(function () {
        return api.call('releaseQueuePlace', { params: { session_id: self.sessionId } });
      }).then(function (place) {
        return self.show(place);
      });
    },
    onLeave: function () {
      const self = this;
      return page.confirm('离开后排队位置不再保留，确定离开吗？').then(function (yes) {
        if (!yes) {
          return null;
        }
        self.setData({ actionError: '' });
        return self.leave().catch(function (err) {
          self.setData({ actionError: errors.errorText(err) });
        });
      });
    },
    // 预约时限已过：离开后以同一就诊人重新排队（排在队尾）
    onRejoin: function () {
      const self = this;
      const profileId = self.data.place.profile_id;
      self.setData({ actionError: '' });
      return self.leave().then(function () {
        return self.join(profileId);
      }, function (err) {
        self.setData({ actionError: errors.errorText(err) });
      });
    },
    // 轮到时选时段：走原来的确认预约页，就诊人固定为排队时的就诊人
    onChoose: function (e) {
      wx.navigateTo({
        url: '/pages/confirm/confirm?session=' + this.sessionId + '&slot=' + e.currentTarget.dataset.id + '&profile=' + this.data.place.profile_id
      });
    },
    onBookAsUsual: function () {
      wx.navigateTo({ url: '/pages/slot/slot?session=' + this.sessionId });
    },
    onMyAppointments: function () {
      wx.switchTab({ url: '/pages/appointments/appointments' });
    }
  }
});
