// 改约确认：原预约与新时段的时间、费用变化；确认后调用改约接口（utils/reschedule.js 说明流程）
const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');
const reschedule = require('../../utils/reschedule.js');

Component({
  data: {
    a: {}, session: {}, slotText: '', change: {}, submitting: false, submitError: '',
    loading: true, error: '', needLogin: false, empty: false
  },
  methods: {
    onLoad: function (options) {
      this.appointmentId = Number(options.appointment);
      this.sessionId = Number(options.session);
      this.slotId = Number(options.slot);
      return this.reload();
    },
    reload: function () {
      const self = this;
      return page.load(self, function () {
        return Promise.all([
          api.call('appointmentDetail', { params: { appointment_id: self.appointmentId } }),
          api.call('sessionDetail', { params: { session_id: self.sessionId } })
        ]).then(function (answers) {
          const a = answers[0];
          const s = answers[1];
          const slot = s.slots.filter(function (x) { return x.id === self.slotId; })[0];
          self.before = a;
          return {
            a: Object.assign({}, a, { visitText: format.dateTime(a.visit_starts_at), feeText: format.yuan(a.fee) }),
            session: Object.assign({}, s, { feeText: format.yuan(s.fee) }),
            slotText: slot ? format.timePart(slot.starts_at) + '-' + format.timePart(slot.ends_at) : '',
            change: reschedule.feeChange(a, s.fee),
            // 已不能改约（已取消、已就诊等）或时段不在该出诊里：不给确认按钮
            empty: !reschedule.canReschedule(a) || !slot
          };
        });
      });
    },
    onSubmit: function () {
      const self = this;
      self.setData({ submitting: true, submitError: '' });
      return api.call('appointmentReschedule', {
        params: { appointment_id: self.appointmentId }, body: { slot_id: self.slotId }
      }).then(function (moved) {
        self.setData({ submitting: false });
        if (moved.status !== 'pending_payment') {
          wx.showToast({ title: '改约成功', icon: 'success' });
        }
        wx.redirectTo({ url: reschedule.nextUrl(self.before, moved) });
        return moved;
      }, function (err) {
        self.setData({ submitting: false, submitError: errors.errorText(err) });
        return null;
      });
    }
  }
});
