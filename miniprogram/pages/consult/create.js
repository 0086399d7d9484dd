const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const errors = require('../../utils/errors.js');
const consult = require('../../utils/consult.js');

const RELATIONS = { self: '本人', parent: '父母', spouse: '配偶', child: '子女', relative: '亲属', other: '其他' };
const PROBLEM_MAX = 2000;

// 发起问诊：选就诊人、描述病情、最多 9 张图。先建问诊，再一张张上传图片（显示进度，失败的可重试），
// 需要付费的去支付页，免费的直接进入对话。
Component({
  data: {
    doctor: {}, offer: {}, profiles: [], profileId: 0, problem: '', problemMax: PROBLEM_MAX,
    images: [], maxImages: consult.MAX_IMAGES, created: null, uploading: false, failed: 0,
    submitting: false, submitError: '', loading: true, error: '', needLogin: false, empty: false
  },
  methods: {
    onLoad: function (options) {
      this.doctorId = Number(options.doctor);
      return this.reload();
    },
    onShow: function () {
      if (this.doctorId && this.data.empty) {
        this.reload(); // 从“添加就诊人”回来
      }
    },
    reload: function () {
      const id = this.doctorId;
      return page.load(this, function () {
        return Promise.all([
          api.call('doctorDetail', { params: { doctor_id: id } }),
          api.call('consultDoctorOffer', { params: { doctor_id: id } }),
          api.call('profileList', { query: { page_size: 100 } })
        ]).then(function (answers) {
          const profiles = answers[2].results.map(function (p) {
            return Object.assign({}, p, { relationText: RELATIONS[p.relation] || '' });
          });
          const own = profiles.filter(function (p) { return p.relation === 'self'; })[0] || profiles[0];
          const offer = answers[1];
          return {
            doctor: answers[0],
            offer: Object.assign({}, offer, { feeText: offer.fee ? format.yuan(offer.fee) : '免费' }),
            profiles: profiles,
            profileId: own ? own.id : 0,
            empty: profiles.length === 0
          };
        });
      });
    },
    onProfile: function (e) {
      if (!this.data.created) {
        this.setData({ profileId: e.currentTarget.dataset.id });
      }
    },
    onAddProfile: function () {
      wx.navigateTo({ url: '/pages/profile-edit/profile-edit' });
    },
    onProblem: function (e) {
      this.setData({ problem: e.detail.value });
    },
    onAddImages: function () {
      const self = this;
      const left = consult.MAX_IMAGES - self.data.images.length;
      if (left <= 0) {
        wx.showToast({ title: '最多 ' + consult.MAX_IMAGES + ' 张图片', icon: 'none' });
        return Promise.resolve(false);
      }
      return consult.chooseImages(left).then(function (paths) {
        const added = paths.slice(0, left).map(function (p) {
          return { path: p, progress: 0, done: false, error: '' };
        });
        self.setData({ images: self.data.images.concat(added) });
        return added.length > 0;
      });
    },
    onRemoveImage: function (e) {
      const index = e.currentTarget.dataset.index;
      const images = this.data.images.slice();
      if (this.data.uploading || images[index].done) {
        return; // 已上传的图不能在这里删
      }
      images.splice(index, 1);
      this.setData({ images: images, failed: images.filter(function (i) { return i.error; }).length });
    },
    onPreview: function (e) {
      const paths = this.data.images.map(function (i) { return i.path; });
      wx.previewImage({ current: paths[e.currentTarget.dataset.index], urls: paths });
    },
    // 提交：问诊已建好（上次有图片没传上）时不再新建，只上传剩下的图
    onSubmit: function () {
      const self = this;
      const problem = self.data.problem.trim();
      if (!self.data.created && !problem) {
        self.setData({ submitError: '请描述您的病情' });
        return Promise.resolve(false);
      }
      self.setData({ submitting: true, submitError: '' });
      const created = self.data.created ? Promise.resolve(self.data.created) : api.call('consultCreate', {
        body: { doctor: self.doctorId, profile: self.data.profileId, problem: problem }
      });
      return created.then(function (c) {
        self.setData({ created: c });
        return self.uploadImages();
      }).then(function (failed) {
        self.setData({ submitting: false });
        if (failed === 0) {
          self.next();
        }
        return failed === 0;
      }, function (err) {
        self.setData({ submitting: false, submitError: errors.errorText(err) });
        return false;
      });
    },
    // 上传还没传上的图；返回失败的张数
    uploadImages: function () {
      const self = this;
      const pending = [];
      self.data.images.forEach(function (img, index) {
        if (!img.done) {
          pending.push(index);
        }
      });
      if (!pending.length) {
        return Promise.resolve(0);
      }
      self.setData({ uploading: true });
      return consult.uploadEach('consultProblemImage', { consult_id: self.data.created.id }, pending.map(function (i) {
        return self.data.images[i].path;
      }), function (n, state) {
        const change = {};
        change['images[' + pending[n] + ']'] = Object.assign({}, self.data.images[pending[n]], state);
        self.setData(change);
      }).then(function (results) {
        const failed = results.filter(function (r) { return !r.ok; }).length;
        self.setData({ uploading: false, failed: failed });
        return failed;
      });
    },
    // 有图片传不上时也可以不带它们继续
    onSkipFailed: function () {
      this.next();
    },
    next: function () {
      const c = this.data.created;
      if (c.status === 'awaiting_payment') {
        wx.redirectTo({ url: '/pages/pay/pay?consult=' + c.id });
      } else {
        wx.redirectTo({ url: '/pages/consult/chat?id=' + c.id });
      }
    }
  }
});
