const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');

const RELATIONS = { self: '本人', parent: '父母', spouse: '配偶', child: '子女', relative: '亲属', other: '其他' };

Component({
  data: {
    session: {}, slotText: '', profiles: [], profileId: 0, waitlist: false,
    submitting: false, submitError: '', loading: true, error: '', needLogin: false, empty: false
  },
  methods: {
    onLoad: function (options) {
      this.sessionId = Number(options.session);
      this.slotId = Number(options.slot) || 0;
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
          return {
            session: Object.assign({}, s, { feeText: format.yuan(s.fee) }),
            slotText: slot ? format.timePart(slot.starts_at) + '-' + format.timePart(slot.ends_at) : '',
            profiles: profiles,
            profileId: own ? own.id : 0,
            empty: profiles.length === 0
          };
        });
      });
    },
    onProfile: function (e) {
      this.setData({ profileId: e.currentTarget.dataset.id });
    },
    onAddProfile: function () {
      wx.navigateTo({ url: '/pages/profile-edit/profile-edit' });
    },
    onSubmit: function () {
      const self = this;
      self.setData({ submitting: true, submitError: '' });
      let request;
      if (self.data.waitlist) {
        request = api.call('waitlistJoin', { body: { session_id: self.sessionId, profile_id: self.data.profileId } }).then(function () {
          wx.showToast({ title: '已加入候补', icon: 'success' });
          wx.redirectTo({ url: '/pages/waitlist/index' });
        });
      } else {
        request = api.call('appointmentBook', {
          body: { slot_id: self.slotId, profile_id: self.data.profileId },
          headers: { 'Idempotency-Key': self.idempotencyKey }
        }).then(function (appointment) {
          wx.redirectTo({ url: '/pages/pay/pay?appointment=' + appointment.id });
        });
      }
      return request.then(function () {
        self.setData({ submitting: false });
      }, function (err) {
        self.setData({ submitting: false, submitError: errors.errorText(err) });
      });
    }
  }
});
