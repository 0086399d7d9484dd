const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');
const booking = require('../../utils/booking.js');

const RELATIONS = { self: '本人', parent: '父母', spouse: '配偶', child: '子女', relative: '亲属', other: '其他' };

Component({
  data: {
    session: {}, slotText: '', profiles: [], profileId: 0, waitlist: false,
    submitting: false, submitError: '', loading: true, error: '', needLogin: false, empty: false,
    queued: false, waitedText: '', timedOut: false // 抢号排队中；等到时限仍在排队（见 utils/booking.js）
  },
  methods: {
    onLoad: function (options) {
      this.sessionId = Number(options.session);
      this.slotId = Number(options.slot) || 0;
      // 排队放号轮到时（pages/release-queue）：就诊人是排队时选的那位，不能换
      this.presetProfile = Number(options.profile) || 0;
      this.idempotencyKey = api.newIdempotencyKey(); // 同一次确认重试时不会重复下单
      this.setData({ waitlist: options.waitlist === '1' });
      return this.reload();
    },
    onShow: function () {
      if (this.sessionId && this.data.empty) {
        this.reload(); // 从“添加就诊人”回来
      }
    },
    reload: function () {
      const self = this;
      return page.load(self, function () {
        return Promise.all([
          api.call('sessionDetail', { params: { session_id: self.sessionId } }),
          api.call('profileList', { query: { page_size: 100 } }) // 就诊人不多，一页读完
        ]).then(function (answers) {
          const s = answers[0];
          const slot = s.slots.filter(function (x) { return x.id === self.slotId; })[0];
          const profiles = answers[1].results.map(function (p) {
            return Object.assign({}, p, { relationText: RELATIONS[p.relation] || '' });
          });
          const own = profiles.filter(function (p) { return p.relation === 'self'; })[0] || profiles[0];
          const preset = profiles.filter(function (p) { return p.id === self.presetProfile; })[0];
          if (preset) {
            profiles.splice(0, profiles.length, preset);
          }
          return {
            session: Object.assign({}, s, { feeText: format.yuan(s.fee) }),
            slotText: slot ? format.timePart(slot.starts_at) + '-' + format.timePart(slot.ends_at) : '',
            profiles: profiles,
            profileId: preset ? preset.id : (own ? own.id : 0),
            empty: profiles.length === 0
          };
        });
      });
    },
    onUnload: function () {
      if (this.booking) {
        this.booking.cancel(); // 离开页面就不再等候；服务器照常处理挂号单
        this.booking = null;
      }
    },
    onProfile: function (e) {
      if (this.data.submitting || this.data.timedOut) {
        return; // 已提交：排队中不能换就诊人
      }
      this.setData({ profileId: e.currentTarget.dataset.id });
    },
    onMyAppointments: function () {
      wx.switchTab({ url: '/pages/appointments/appointments' });
    },
    onAddProfile: function () {
      wx.navigateTo({ url: '/pages/profile-edit/profile-edit' });
    },
    onSubmit: function () {
      const self = this;
      if (self.data.submitting || self.data.timedOut) {
        return Promise.resolve(); // 不重复提交（排队中、等候超时后都以服务器的结果为准）
      }
      self.setData({ submitting: true, submitError: '' });
      let request;
      if (self.data.waitlist) {
        request = api.call('waitlistJoin', { body: { session_id: self.sessionId, profile_id: self.data.profileId } }).then(function () {
          wx.showToast({ title: '已加入候补', icon: 'success' });
          wx.redirectTo({ url: '/pages/waitlist/index' });
        });
      } else {
        self.booking = booking.book({
          slotId: self.slotId,
          profileId: self.data.profileId,
          idempotencyKey: self.idempotencyKey,
          onQueued: function () {
            self.setData({ queued: true, waitedText: '' });
          },
          onWaiting: function (seconds) {
            self.setData({ waitedText: '已等待 ' + seconds + ' 秒' });
          }
        });
        request = self.booking.promise.then(function (result) {
          self.booking = null;
          if (result.status === 'booked') {
            wx.redirectTo({ url: '/pages/pay/pay?appointment=' + result.appointment.id });
          } else if (result.timedOut) {
            self.setData({ queued: false, timedOut: true });
          }
        }, function (err) {
          self.booking = null;
          if (err && err.ticket) {
            self.idempotencyKey = api.newIdempotencyKey(); // 这张挂号单已被拒：再约是新的一次
          }
          throw err;
        });
      }
      return request.then(function () {
        self.setData({ submitting: false });
      }, function (err) {
        self.setData({ submitting: false, queued: false, submitError: errors.errorText(err) });
      });
    }
  }
});
