const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const errors = require('../../utils/errors.js');

const RELATIONS = [
  { value: 'self', label: '本人' }, { value: 'parent', label: '父母' }, { value: 'spouse', label: '配偶' },
  { value: 'child', label: '子女' }, { value: 'relative', label: '亲属' }, { value: 'other', label: '其他' }
];

Component({
  data: {
    profileId: 0, relations: RELATIONS, relationIndex: 0, idCardMasked: '',
    form: { name: '', id_card_no: '', phone: '', insurance_card_no: '' },
    saving: false, saveError: '', loading: false, error: '', needLogin: false
  },
  methods: {
    onLoad: function (options) {
      const id = Number(options && options.id) || 0;
      this.setData({ profileId: id });
      wx.setNavigationBarTitle({ title: id ? '编辑就诊人' : '添加就诊人' });
      return id ? this.reload() : Promise.resolve(true);
    },
    reload: function () {
      const id = this.data.profileId;
      return page.load(this, function () {
        return api.call('profileDetail', { params: { profile_id: id } }).then(function (p) {
          const index = RELATIONS.map(function (r) { return r.value; }).indexOf(p.relation);
          return {
            form: { name: p.name, id_card_no: '', phone: p.phone, insurance_card_no: p.insurance_card_no || '' },
            relationIndex: index < 0 ? 0 : index,
            idCardMasked: p.id_card_no
          };
        });
      });
    },
    onInput: function (e) {
      const change = {};
      change['form.' + e.currentTarget.dataset.name] = e.detail.value;
      this.setData(change);
    },
    onRelation: function (e) {
      this.setData({ relationIndex: Number(e.detail.value) });
    },
    onSave: function () {
      const self = this;
      const f = self.data.form;
      const relation = RELATIONS[self.data.relationIndex].value;
      let request;
      if (self.data.profileId) {
        request = api.call('profileUpdate', {
          params: { profile_id: self.data.profileId },
          body: { name: f.name, relation: relation, phone: f.phone, insurance_card_no: f.insurance_card_no }
        });
      } else {
        request = api.call('profileCreate', {
          body: { name: f.name, relation: relation, id_card_no: f.id_card_no, phone: f.phone, insurance_card_no: f.insurance_card_no }
        });
      }
      self.setData({ saving: true, saveError: '' });
      return request.then(function (profile) {
        self.setData({ saving: false });
        wx.showToast({ title: '已保存', icon: 'success' });
        wx.navigateBack();
        return profile;
      }, function (err) {
        self.setData({ saving: false, saveError: errors.errorText(err) });
        return null;
      });
    }
  }
});
